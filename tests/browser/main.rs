//! The web editor in real browsers: each test starts the real binary, drives
//! the editor like a user (mouse, keyboard) in headless Chromium
//! ([`chromium`]) or headless Firefox ([`firefox`]) through one driver
//! interface ([`driver::Driver`]), and checks what the page and the runtime
//! then show. One browser runs at a time.

#[path = "../common/mod.rs"]
mod common;

mod chromium;
mod code_editor;
mod driver;
mod editor;
mod firefox;
mod forms;
mod groups_subflows;
mod navigation;
mod scale;
mod sidebars;
mod tabs_status;
mod websocket;
