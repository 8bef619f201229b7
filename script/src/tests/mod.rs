//! Unit tests of the function node without a running flow.

mod conversion_cost;
mod js_semantics;
mod lazy_msg;
mod library;
mod nodered_fixtures;
mod objects;
mod regex;
mod timers;
