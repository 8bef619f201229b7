fn main() {
    let src = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    println!(
        "{}",
        flowgate_nodes::function::js::translate(
            &src,
            &["msg", "node", "context", "flow", "global", "env"]
        )
        .unwrap()
    );
}
