//! The nearest supported alternative to a construct a body cannot use,
//! printed with the load error (and so by `flowgate check`), so a user
//! knows what to write instead. docs/function-node.md has the same advice
//! as a table.

/// What to write instead of `construct` (the text an error names it by).
pub fn alternative(construct: &str) -> &'static str {
    const ADVICE: &[(&str, &str)] = &[
        ("`require`", "Node.js modules are not loaded in function bodies: give the node the `crypto` module in its Setup (libs) for hashes, and use flow nodes (file, http request, exec) for the rest"),
        ("import", "Node.js modules are not loaded in function bodies: give the node the `crypto` module in its Setup (libs) for hashes, and use flow nodes (file, http request, exec) for the rest"),
        ("class", "use an object literal with functions, or a function that builds the object"),
        ("`this`", "use the object's own variable, or the `node` object for the node"),
        ("`super`", "use an object literal with functions, or a function that builds the object"),
        ("async", "use callbacks: `setTimeout(() => node.send(msg), ms)` and `node.done()`"),
        ("`await`", "use callbacks: `setTimeout(() => node.send(msg), ms)` and `node.done()`"),
        ("generator", "build the values into an array and return or loop over it"),
        ("`yield`", "build the values into an array and return or loop over it"),
        ("label", "use a flag variable, or move the loops into a function and `return` from it"),
        ("getter/setter", "use a plain function property (`getX()`)"),
        ("tagged template", "call the function with the parts: `tag([\"a\", \"b\"], x)`"),
        ("`with`", "give the object a variable (`const o = msg.payload;`) and write `o.x`"),
        ("with `finally`", "set a variable inside `try` and act on it after the `finally`"),
        ("BigInt", "use numbers (exact to 2^53) or strings for larger ids"),
        ("private field", "use an ordinary property"),
        ("nesting deeper", "split the expression into statements or functions"),
        ("`using`", "call the clean-up yourself in a `finally`"),
        ("the global", "see docs/function-node.md for the globals a body can use"),
    ];
    ADVICE
        .iter()
        .find(|(key, _)| construct.contains(key))
        .map(|(_, advice)| *advice)
        .unwrap_or(
            "write it with the constructs docs/function-node.md lists, or write the node in Rhai",
        )
}
