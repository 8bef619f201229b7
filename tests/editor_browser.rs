//! The web editor in a real browser (Debian's headless Chromium): each test
//! starts the real binary, drives the editor like a user and checks what the
//! page and the runtime then show.

mod common;
#[path = "editor_browser/driver.rs"]
mod driver;

use driver::Page;

#[test]
fn dev_probe() {
    let s = common::Server::start_file(&common::repo_root().join("flows/hello.json"), &[], &[]);
    let page = Page::open(&s.url(""));
    page.screenshot(&common::repo_root().join("target/editor-probe.png"));
    eprintln!("{:?}", page.errors());
    eprintln!("{}", page.eval("document.body.innerText"));
}
