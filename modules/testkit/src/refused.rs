//! Assertions on refusals by typed error.

use std::fmt;

use bls_core::{AbciCode, ModuleError};

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
    }

    impl fmt::Display for Sample {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Sample::One(payload) => write!(f, "one: {payload}"),
                Sample::Two => f.write_str("two"),
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
