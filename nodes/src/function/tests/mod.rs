//! Unit tests of the function node without a running flow.

mod js_semantics;
mod nodered_fixtures;
mod timers;
