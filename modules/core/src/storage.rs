//! A `cosmwasm_std::Storage` wrapper that charges gas for every store operation.

use cosmwasm_std::{Order, Record, Storage};

use crate::gas::GasMeter;

/// Charges `meter` for each read, write, delete and iterator step on `inner`.
pub struct GasStorage<'a> {
    inner: &'a mut dyn Storage,
    meter: &'a GasMeter,
}

impl<'a> GasStorage<'a> {
    /// Wraps `inner`.
    pub fn new(inner: &'a mut dyn Storage, meter: &'a GasMeter) -> Self {
        Self { inner, meter }
    }
}

fn len_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl Storage for GasStorage<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let c = *self.meter.config();
        let v = self.inner.get(key);
        let bytes = len_u64(key.len() + v.as_ref().map_or(0, Vec::len));
        self.meter.consume(
            c.read_flat
                .saturating_add(c.read_per_byte.saturating_mul(bytes)),
            "ReadFlat",
        );
        v
    }

    fn range<'b>(
        &'b self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'b> {
        let meter = self.meter;
        Box::new(self.inner.range(start, end, order).inspect(move |(k, v)| {
            let c = meter.config();
            let bytes = len_u64(k.len() + v.len());
            meter.consume(
                c.iter_next_flat
                    .saturating_add(c.read_per_byte.saturating_mul(bytes)),
                "IterNext",
            );
        }))
    }

    fn set(&mut self, key: &[u8], value: &[u8]) {
        let c = *self.meter.config();
        let bytes = len_u64(key.len() + value.len());
        self.meter.consume(
            c.write_flat
                .saturating_add(c.write_per_byte.saturating_mul(bytes)),
            "WriteFlat",
        );
        self.inner.set(key, value);
    }

    fn remove(&mut self, key: &[u8]) {
        self.meter
            .consume(self.meter.config().delete_flat, "Delete");
        self.inner.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gas::GasConfig;
    use cosmwasm_std::testing::MockStorage as MemoryStorage;

    #[test]
    fn charges_reads_writes_iteration() {
        let mut mem = MemoryStorage::new();
        let meter = GasMeter::new(1_000_000, GasConfig::default());
        let mut s = GasStorage::new(&mut mem, &meter);
        s.set(b"k", b"vv");
        assert_eq!(meter.consumed(), 2000 + 30 * 3);
        let before = meter.consumed();
        assert_eq!(s.get(b"k"), Some(b"vv".to_vec()));
        assert_eq!(meter.consumed() - before, 1000 + 3 * 3);
        let before = meter.consumed();
        assert_eq!(s.range(None, None, Order::Ascending).count(), 1);
        assert_eq!(meter.consumed() - before, 30 + 3 * 3);
    }
}
