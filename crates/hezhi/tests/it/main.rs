//! The binary as an operator uses it, and the documents that describe the repository.

mod cli;
mod docs;
