//! Process and Tokio runtime gauges, read when `/metrics` is scraped.
//!
//! The process numbers come from Linux's `/proc/self` (the platform we deploy on; elsewhere
//! they are simply absent). No maintained crate in our lockfile reads them for the `metrics`
//! facade, and the four values below are a few lines of parsing. The runtime numbers are
//! Tokio's stable metrics: workers, live tasks, the global queue and each worker's busy time.

#[allow(
    clippy::cast_precision_loss,
    reason = "gauges are floats; these counts stay far below 2^52"
)]
/// Sets every gauge from its source.
pub fn sample() {
    if let Some(kib) = status_field("VmRSS:") {
        metrics::gauge!(RESIDENT).set((kib * 1024) as f64);
    }
    if let Some(ticks) = cpu_ticks() {
        // Linux reports CPU time in USER_HZ ticks, 100 per second on every architecture we run.
        metrics::gauge!(CPU).set(ticks as f64 / 100.0);
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        metrics::gauge!(OPEN_FDS).set(fds.count() as f64);
    }
    if let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
        metrics::gauge!(MAX_FDS).set(soft as f64);
    }
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        let m = handle.metrics();
        let workers = m.num_workers();
        metrics::gauge!(WORKERS).set(workers as f64);
        metrics::gauge!(TASKS).set(m.num_alive_tasks() as f64);
        metrics::gauge!(QUEUE).set(m.global_queue_depth() as f64);
        let busy: f64 = (0..workers)
            .map(|w| m.worker_total_busy_duration(w).as_secs_f64())
            .sum();
        metrics::gauge!(BUSY).set(busy);
    }
}

/// Resident memory, bytes.
pub const RESIDENT: &str = "nestcms_process_resident_memory_bytes";
/// CPU time since start, seconds.
pub const CPU: &str = "nestcms_process_cpu_seconds";
/// Open file descriptors (sockets included).
pub const OPEN_FDS: &str = "nestcms_process_open_fds";
/// The file descriptor limit.
pub const MAX_FDS: &str = "nestcms_process_max_fds";
/// Tokio worker threads.
pub const WORKERS: &str = "nestcms_tokio_workers";
/// Tasks alive in the runtime.
pub const TASKS: &str = "nestcms_tokio_alive_tasks";
/// Tasks waiting in the runtime's global queue.
pub const QUEUE: &str = "nestcms_tokio_global_queue_depth";
/// Time the workers spent busy since start, summed over workers, seconds.
pub const BUSY: &str = "nestcms_tokio_workers_busy_seconds";

/// A `Key:   value kB` line of `/proc/self/status`.
fn status_field(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

/// User plus system time from `/proc/self/stat` (fields 14 and 15, counted after the command
/// name, which is in parentheses and may itself hold spaces).
fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name, field 3 (state) is index 0, so utime (14) is index 11.
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_has_memory_cpu_and_files() {
        assert!(super::status_field("VmRSS:").is_some_and(|k| k > 0));
        assert!(super::cpu_ticks().is_some());
    }
}
