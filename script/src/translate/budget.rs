//! How much name-lookup work compiling the translated body will cost.
//!
//! Translation itself is linear in the body's size, but the Rhai compiler
//! resolves each variable reference by scanning, one by one, every variable
//! in scope and every closure compiled so far. A body that declares
//! thousands of names at one level and refers to them thousands of times
//! (a long run of `var`s, many small functions) therefore costs time in the
//! square of its size: 256 KiB of such code held a core for tens of seconds.
//! The translator keeps the running count of what those scans will compare
//! and refuses the body once it passes [`MAX_LOOKUP_WORK`], so one deploy
//! or check stays bounded however the body is shaped.

/// The most name comparisons a body's compile may make: at most about
/// 3 s of one core in a debug build (the costliest shape measured, many
/// destructuring `var`s or closures, costs about half a microsecond per
/// comparison there) and a tenth of that optimised. Bodies of ordinary
/// shape stay far below it at any size (their work grows with the
/// references, not with their square): 256 KiB of statements on a few
/// names need about 300,000.
pub const MAX_LOOKUP_WORK: u64 = 5_000_000;

/// The running count (see the module's documentation).
#[derive(Debug, Default)]
pub struct LookupBudget {
    /// Names declared in the scopes open now.
    in_scope: u64,
    /// Closures translated so far (the compiler keeps every one in a list
    /// that each reference also scans).
    closures: u64,
    /// Comparisons counted so far.
    work: u64,
}

impl LookupBudget {
    /// A name was added to an open scope.
    pub fn declared(&mut self) {
        self.in_scope += 1;
    }

    /// A scope holding `names` names was closed.
    pub fn scope_closed(&mut self, names: usize) {
        self.in_scope = self.in_scope.saturating_sub(names as u64);
    }

    /// A function or arrow was translated into a closure.
    pub fn closure(&mut self) {
        self.closures += 1;
    }

    /// A name was looked up: the compiler will scan what is in scope and
    /// the closures before it.
    pub fn lookup(&mut self) {
        self.work = self
            .work
            .saturating_add(self.in_scope)
            .saturating_add(self.closures);
    }

    /// The comparisons counted so far.
    pub fn work(&self) -> u64 {
        self.work
    }

    /// Whether the body costs more than [`MAX_LOOKUP_WORK`] to compile.
    pub fn exceeded(&self) -> bool {
        self.work > MAX_LOOKUP_WORK
    }
}

#[cfg(test)]
mod tests {
    use super::super::{translate, ErrorKind};

    const API: [&str; 6] = ["msg", "node", "context", "flow", "global", "env"];

    /// A body of `size` bytes made of `line(i)` repeated, then `return msg;`.
    fn body(size: usize, line: impl Fn(usize) -> String) -> String {
        let mut s = String::new();
        let mut i = 0;
        while s.len() < size {
            s.push_str(&line(i));
            i += 1;
        }
        s.push_str("return msg;\n");
        s
    }

    fn work(source: &str) -> u64 {
        let mut t = super::super::Translator::for_source(source, &API);
        let allocator = oxc_allocator::Allocator::default();
        let ret = super::super::parse_body(&allocator, source);
        t.program(&ret.program, &API).expect("translates");
        t.lookups.work()
    }

    #[test]
    fn statements_on_few_names_cost_work_linear_in_their_number() {
        let line = |i: usize| format!("msg.a{i} = (msg.a{i} || 0) + {i};\n");
        let (small, large) = (work(&body(16 * 1024, line)), work(&body(64 * 1024, line)));
        assert!(large <= small * 5, "16 KiB: {small}, 64 KiB: {large}");
    }

    #[test]
    fn thousands_of_top_level_variables_are_refused_naming_the_limit() {
        let source = body(256 * 1024, |i| format!("var v{i} = msg.payload + {i};\n"));
        let e = translate(&source, &API).expect_err("refused");
        assert!(matches!(e.kind, ErrorKind::TooManyNames(w) if w > super::MAX_LOOKUP_WORK));
        assert!(e.to_string().contains("too large to compile"), "{e}");
    }

    #[test]
    fn thousands_of_small_functions_are_refused() {
        let source = body(256 * 1024, |i| {
            format!("function f{i}(x) {{ return x + {i}; }}\n")
        });
        let e = translate(&source, &API).expect_err("refused");
        assert!(matches!(e.kind, ErrorKind::TooManyNames(_)), "{e}");
    }

    /// Destructuring declares a temporary at the statement's level and
    /// assigns each name: both lengthen the compiler's scans and count.
    #[test]
    fn thousands_of_destructuring_declarations_are_refused() {
        let source = body(64 * 1024, |i| format!("var {{ a{i}, b{i} }} = msg;\n"));
        let e = translate(&source, &API).expect_err("refused");
        assert!(matches!(e.kind, ErrorKind::TooManyNames(_)), "{e}");
    }

    #[test]
    fn a_large_body_of_ordinary_shape_still_translates() {
        let source = body(256 * 1024, |i| {
            format!("if (msg.v === {i}) {{ let s = \"n{i}\"; msg.out = s + msg.v; }}\n")
        });
        translate(&source, &API).expect("a 256 KiB body of small blocks loads");
    }
}
