//! Forms as data: a form file in prompts/ parsed and validated into [`Form`].
