//! Test-only helpers: a seeded generator, byte mutations, and a per-thread allocation meter.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// A small deterministic xorshift generator, so the mutation tests need no extra crate.
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed` (any value; zero is replaced).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n.max(1)).unwrap_or(u64::MAX);
        usize::try_from(self.next() % n).unwrap_or(0)
    }

    /// True once in `n` calls on average.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        self.next().to_le_bytes()[3]
    }

    /// One element of a non-empty slice.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Applies one to `max_edits` random edits to `bytes`: overwrite, insert, remove or
/// truncate at a random place, or duplicate a short run. Never leaves `bytes` empty
/// unless it started empty.
pub fn mutate_bytes(rng: &mut Rng, bytes: &mut Vec<u8>, max_edits: usize) {
    for _ in 0..=rng.below(max_edits) {
        let len = bytes.len();
        let at = rng.below(len + 1);
        match rng.below(5) {
            0 if at < len => bytes[at] = rng.byte(),
            1 => bytes.insert(at, rng.byte()),
            2 if at < len && len > 1 => {
                bytes.remove(at);
            }
            3 => bytes.truncate(at.max(1)),
            _ => {
                let run: Vec<u8> = bytes.iter().skip(at).take(1 + rng.below(8)).copied().collect();
                let to = rng.below(len + 1);
                bytes.splice(to..to, run);
            }
        }
    }
}

thread_local! {
    /// Bytes allocated and not yet freed by this thread.
    static LIVE: Cell<usize> = const { Cell::new(0) };
    /// Highest `LIVE` since the last `measure` started.
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, counting each thread's live bytes for `measure`.
struct CountingAlloc;

fn add_live(bytes: usize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get().saturating_add(bytes);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn sub_live(bytes: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(bytes)));
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are
// const-initialised thread locals without destructors, so updating them never allocates.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            add_live(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        sub_live(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            add_live(layout.size());
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            sub_live(layout.size());
            add_live(new_size);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

/// Runs `f` and returns its result with the most bytes it held allocated at once on
/// this thread (above what the thread held when `f` started).
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(start));
    let result = f();
    let peak = PEAK.with(Cell::get);
    (result, peak.saturating_sub(start))
}

#[test]
fn measure_sees_a_large_temporary_allocation() {
    let ((), peak) = measure(|| drop(vec![0u8; 3 << 20]));
    assert!(peak >= 3 << 20, "{peak}");
    let ((), small) = measure(|| ());
    assert!(small < 1024);
}
