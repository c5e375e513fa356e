//! Assertions on refusals by typed error.

use std::fmt;

use bls_core::{AbciCode, ModuleError};

/// A typed error variant with every payload field at its default, to name the refusal
/// [`assert_refused`] expects (only its codespace and code are compared):
/// `variant!(RegistryError::UnknownWorker(_))`, `variant!(RegistryError::NotEnoughBond { have,
/// need })`, `variant!(OrchestrationError::Unauthorized)`.
#[macro_export]
macro_rules! variant {
    ($($path:ident)::+ { $($field:ident),* $(,)? }) => {
        $($path)::+ { $($field: ::core::default::Default::default()),* }
    };
    ($($path:ident)::+ ( $($blank:tt),* $(,)? )) => {
        $($path)::+ ( $($crate::__blank!($blank)),* )
    };
    ($($path:ident)::+) => {
        $($path)::+
    };
}

/// One default payload field of [`variant!`] (the `_` it stands for is dropped).
#[doc(hidden)]
#[macro_export]
macro_rules! __blank {
    ($blank:tt) => {
        ::core::default::Default::default()
    };
}

/// True when `e` is the refusal `want` stands for: same codespace and code (the payload of
/// `want` is not compared, so a sample such as `RegistryError::UnknownWorker(String::new())`
/// names the variant).
pub fn is_refusal(e: &ModuleError, want: &dyn AbciCode) -> bool {
    e.codespace == want.codespace() && e.code == want.code()
}

/// Asserts that `result` failed with the typed error `want` stands for (codespace and code,
/// compared as the app reports them; the payload of `want` is not compared) and returns the
/// error, so the test can still check what its log says.
///
/// `result` may carry a module's typed error or the `ModuleError` a `Module` call returns.
///
/// # Panics
///
/// When `result` is `Ok`, or failed with another codespace or code.
#[track_caller]
pub fn assert_refused<T, E, W>(result: Result<T, E>, want: &W) -> ModuleError
where
    T: fmt::Debug,
    E: Into<ModuleError>,
    W: AbciCode + fmt::Debug,
{
    match result {
        Ok(v) => panic!(
            "expected a refusal with {want:?} ({} error {}), got Ok({v:?})",
            want.codespace(),
            want.code()
        ),
        Err(e) => {
            let e = e.into();
            assert!(
                is_refusal(&e, want),
                "expected a refusal with {want:?} ({} error {}), got {e}",
                want.codespace(),
                want.code()
            );
            e
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    enum Sample {
        One(String),
        Two,
        Three { what: String, at: u64 },
        Four(String, &'static str),
    }

    impl fmt::Display for Sample {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Sample::One(payload) => write!(f, "one: {payload}"),
                Sample::Two => f.write_str("two"),
                Sample::Three { what, at } => write!(f, "three: {what} at {at}"),
                Sample::Four(a, b) => write!(f, "four: {a} {b}"),
            }
        }
    }

    impl AbciCode for Sample {
        fn codespace(&self) -> &'static str {
            "sample"
        }
        fn code(&self) -> u32 {
            match self {
                Sample::One(_) => 1,
                Sample::Two => 2,
                Sample::Three { .. } => 3,
                Sample::Four(..) => 4,
            }
        }
    }

    #[test]
    fn matches_codespace_and_code_not_payload() {
        let r: Result<(), Sample> = Err(Sample::One("payload".into()));
        let e = assert_refused(r, &Sample::One(String::new()));
        assert_eq!(e.log, "one: payload");
        let r: Result<(), ModuleError> = Err(ModuleError::new("sample", 2, "two"));
        assert_refused(r, &Sample::Two);
    }

    #[test]
    fn variant_fills_payloads_with_defaults() {
        let r: Result<(), Sample> = Err(Sample::Three {
            what: "x".into(),
            at: 9,
        });
        let e = assert_refused(r, &crate::variant!(Sample::Three { what, at }));
        assert_eq!(e.log, "three: x at 9");
        assert!(matches!(
            crate::variant!(Sample::Three { what, at }),
            Sample::Three { what, at: 0 } if what.is_empty()
        ));
        assert!(matches!(
            crate::variant!(Sample::Four(_, _)),
            Sample::Four(a, "") if a.is_empty()
        ));
        assert!(matches!(crate::variant!(Sample::One(_)), Sample::One(a) if a.is_empty()));
        assert!(matches!(crate::variant!(Sample::Two), Sample::Two));
    }

    #[test]
    #[should_panic(expected = "expected a refusal with Two")]
    fn another_code_fails() {
        let r: Result<(), Sample> = Err(Sample::One(String::new()));
        assert_refused(r, &Sample::Two);
    }

    #[test]
    #[should_panic(expected = "got sample error 2")]
    fn another_codespace_fails() {
        let r: Result<(), ModuleError> = Err(ModuleError::new("sample", 2, "two"));
        struct Other;
        impl fmt::Debug for Other {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("Other")
            }
        }
        impl fmt::Display for Other {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("other")
            }
        }
        impl AbciCode for Other {
            fn codespace(&self) -> &'static str {
                "other"
            }
            fn code(&self) -> u32 {
                2
            }
        }
        assert_refused(r, &Other);
    }

    #[test]
    #[should_panic(expected = "got Ok(7)")]
    fn success_fails() {
        let r: Result<u32, ModuleError> = Ok(7);
        assert_refused(r, &Sample::Two);
    }
}
