//! End-to-end tests of the `freeport` command, driving the built binary as a user would.

mod bad_input;
mod checkin;
mod flow;
mod harness;
mod moves;
mod notices;
mod offline;
mod relays;
mod vocabulary;
mod watch;
