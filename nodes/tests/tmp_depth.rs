use oxc_allocator::Allocator;
use oxc_parser::Parser;
use oxc_span::SourceType;
#[test]
fn depth() {
    let stack: usize = std::env::var("STK").unwrap().parse().unwrap();
    for kind in 0..9 {
        let mut lo = 1usize;
        let mut hi = 200_000usize;
        while lo + 1 < hi {
            let mid = (lo + hi) / 2;
            let body = {
                let (open, close) = [
                    ("(", ")"),
                    ("[", "]"),
                    ("{a:", "}"),
                    ("- ", ""),
                    ("!", ""),
                    ("{", "}"),
                    ("if (x) ", ""),
                    ("x=", ""),
                    ("x?1:", ""),
                ][kind];
                if kind >= 5 {
                    format!("{}x = 1;{}", open.repeat(mid), close.repeat(mid))
                } else {
                    format!("msg.payload = {}1{};", open.repeat(mid), close.repeat(mid))
                }
            };
            let ok = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["child", "--nocapture", "--exact"])
                .env("BODY", {
                    std::fs::write("/tmp/hx/body.js", &body).unwrap();
                    "/tmp/hx/body.js"
                })
                .env("STK", stack.to_string())
                .output()
                .unwrap()
                .status
                .success();
            if ok {
                lo = mid
            } else {
                hi = mid
            }
        }
        eprintln!("kind {kind}: max depth {lo} bytes/level {}", stack / lo);
    }
}
#[test]
fn child() {
    let Ok(p) = std::env::var("BODY") else { return };
    let body = std::fs::read_to_string(p).unwrap();
    let stack: usize = std::env::var("STK").unwrap().parse().unwrap();
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            let a = Allocator::default();
            let r = Parser::new(&a, &body, SourceType::script()).parse();
            assert!(!r.panicked);
        })
        .unwrap()
        .join()
        .unwrap();
}
