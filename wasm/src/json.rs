//! A minimal JSON writer (no serde in Debian's offline crate set, and none is needed).

use std::fmt::Write;

pub struct Json {
    pub out: String,
}

impl Json {
    pub fn new() -> Self {
        Json { out: String::with_capacity(4096) }
    }

    pub fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    pub fn key(&mut self, k: &str) {
        self.out.push('"');
        self.out.push_str(k);
        self.out.push_str("\":");
    }

    pub fn str(&mut self, s: &str) {
        self.out.push('"');
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if b != b'"' && b != b'\\' && b >= 0x20 {
                continue;
            }
            // Escapes are ASCII, so `i` is a char boundary.
            self.out.push_str(&s[start..i]);
            match b {
                b'"' => self.out.push_str("\\\""),
                b'\\' => self.out.push_str("\\\\"),
                b'\n' => self.out.push_str("\\n"),
                b'\r' => self.out.push_str("\\r"),
                b'\t' => self.out.push_str("\\t"),
                _ => {
                    let _ = write!(self.out, "\\u{:04x}", b);
                }
            }
            start = i + 1;
        }
        self.out.push_str(&s[start..]);
        self.out.push('"');
    }

    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.null(),
        }
    }

    /// Numbers above 2^53 lose precision in JavaScript; only corrupt input makes them.
    pub fn u(&mut self, v: u64) {
        let _ = write!(self.out, "{}", v);
    }

    pub fn i(&mut self, v: i64) {
        let _ = write!(self.out, "{}", v);
    }

    pub fn opt_u(&mut self, v: Option<u64>) {
        match v {
            Some(v) => self.u(v),
            None => self.null(),
        }
    }

    pub fn opt_i(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.i(v),
            None => self.null(),
        }
    }

    pub fn bool(&mut self, b: bool) {
        self.out.push_str(if b { "true" } else { "false" });
    }

    pub fn null(&mut self) {
        self.out.push_str("null");
    }

    pub fn comma(&mut self, first: &mut bool) {
        if *first {
            *first = false;
        } else {
            self.out.push(',');
        }
    }
}
