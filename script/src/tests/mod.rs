//! Unit tests of the function node without a running flow.

mod async_fns;
mod conversion_cost;
mod conversion_props;
mod engine_calls;
mod js_semantics;
mod lang_constructs;
mod lazy_msg;
mod library;
mod nodered_fixtures;
mod objects;
mod regex;
mod timers;
mod util_format;
