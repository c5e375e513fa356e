//! The chain's modules in execution order (begin/end-block hooks and genesis run in this order).

use bls_core::Module;

static AUTH: bls_auth::AuthModule = bls_auth::AuthModule;
static BANK: bls_bank::BankModule = bls_bank::BankModule;
static REGISTRY: bls_registry::RegistryModule = bls_registry::RegistryModule;
static ORCHESTRATION: bls_orchestration::OrchestrationModule =
    bls_orchestration::OrchestrationModule;

/// Every module of the chain. Order matters: auth before bank (genesis accounts), registry
/// before orchestration (placement reads the registry in end-block).
pub fn all_modules() -> Vec<&'static dyn Module> {
    vec![&AUTH, &BANK, &REGISTRY, &ORCHESTRATION]
}
