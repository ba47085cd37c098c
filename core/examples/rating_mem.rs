//! Heap the rating book keeps per rating (issue 5, memory), measured with a counting allocator.
//!
//! For each size: `deals` deals between `deals / 3` keys (degree ≈ 6, as in the synthetic
//! graphs), each rated by both parties (2 ratings per deal), added one at a time; the heap
//! still allocated once the inputs are dropped is what the book holds.
//!
//! ```text
//! CARGO_TARGET_DIR=/root/.cache/freeport/release cargo run --release -p freeport-core --example rating_mem [deals,...]
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use freeport_core::reputation::RatingBook;
use freeport_core::reputation::synth::{self, T0, synth_key, synth_nego};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: `p` was allocated by `alloc` above with layout `l`.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if new >= l.size() {
            let now = LIVE.fetch_add(new - l.size(), Ordering::Relaxed) + new - l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        } else {
            LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
        }
        // SAFETY: `p` was allocated by this allocator with layout `l`.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sizes: Vec<usize> = std::env::args()
        .nth(1)
        .map(|a| a.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000]);
    println!("| deals | ratings | ratees | book heap | per rating | build |");
    println!("|---|---|---|---|---|---|");
    for deals in sizes {
        let n = (deals / 3).max(2);
        let keys: Vec<_> = (0..n as u64).map(|i| synth_key("k", i)).collect();
        let base = LIVE.load(Ordering::Relaxed);
        let t = Instant::now();
        let mut book = RatingBook::default();
        for j in 0..deals {
            let a = keys[(j * 7919) % n];
            let mut b = keys[(j * 104_729 + 1) % n];
            if a == b {
                b = keys[(j * 7919 + 1) % n];
            }
            let nego = synth_nego(a, b, j as u64);
            let ok = j % 5 != 0;
            book.add(synth::rating(a, b, nego.clone(), ok, ok, T0 + 9))?;
            book.add(synth::rating(b, a, nego, true, ok, T0 + 10))?;
        }
        let took = t.elapsed();
        let held = LIVE.load(Ordering::Relaxed).saturating_sub(base);
        println!(
            "| {deals} | {} | {n} | {:.1} MiB | {:.0} B | {:.0} ms |",
            book.len(),
            held as f64 / 1048576.0,
            held as f64 / book.len().max(1) as f64,
            took.as_secs_f64() * 1e3,
        );
        drop(book);
    }
    Ok(())
}
