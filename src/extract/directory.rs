//! The CRM directory seen by extraction: resolve asset tags and customer names, tolerant of recognition
//! errors, and yield vocabulary for the transcriber's initial prompt.
