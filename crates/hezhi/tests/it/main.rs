//! The binary as an operator uses it, and the documents that describe the repository.

mod attacks;
mod audit;
mod backup;
mod cli;
mod crash;
mod docs;
mod stats;
