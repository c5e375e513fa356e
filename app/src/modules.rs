//! The chain's modules in execution order (begin/end-block hooks and genesis run in this order).

use bls_core::Module;

static AUTH: bls_auth::AuthModule = bls_auth::AuthModule;
/// The bank, refusing `MsgSend` into the module accounts the other modules declare closed.
pub static BANK: bls_bank::BankModule =
    bls_bank::BankModule::new(crate::module_accounts::refusing_sends);
static STAKING: bls_staking::StakingModule = bls_staking::StakingModule;
static SLASHING: bls_slashing::SlashingModule = bls_slashing::SlashingModule;
static FEES: bls_fees::FeesModule = bls_fees::FeesModule;
static REGISTRY: bls_registry::RegistryModule = bls_registry::RegistryModule;
static ORCHESTRATION: bls_orchestration::OrchestrationModule =
    bls_orchestration::OrchestrationModule;
static BEACON: bls_beacon::BeaconModule = bls_beacon::BeaconModule;
static UPGRADE: bls_upgrade::UpgradeModule = bls_upgrade::UpgradeModule;
/// Governance over every module's params (this list, gov included).
static GOV: bls_gov::GovModule = bls_gov::GovModule::new(all_modules);

/// Every module of the chain. Order matters: auth before bank (genesis accounts); bank before
/// staking and fees (their genesis checks module-account balances); slashing's begin block
/// jails before staking's end block recomputes the validator set; fees' end block runs after
/// staking's so it pays the set just sent to CometBFT; registry before orchestration
/// (placement reads the registry in end-block). The beacon has no hooks (the app mixes its
/// input in FinalizeBlock before every begin block); it is listed for its genesis and queries,
/// as is upgrade (the app applies plans before every begin block). Gov's end block runs last,
/// so what a passed proposal changes is in force from the next block.
pub fn all_modules() -> Vec<&'static dyn Module> {
    vec![
        &AUTH,
        &BANK,
        &STAKING,
        &SLASHING,
        &FEES,
        &REGISTRY,
        &ORCHESTRATION,
        &BEACON,
        &UPGRADE,
        &GOV,
    ]
}
