//! Fitting the connection cap to the process's open-file limit.
//!
//! Every connection holds a file descriptor. A cap above the limit is no cap at all: past the
//! limit `accept` fails with "too many open files", new connections (health probes included)
//! wait in the backlog, and the pools cannot open sockets either. At start the soft limit is
//! raised as far as the hard limit allows, and the cap is lowered, with a warning, if it still
//! does not fit beside a reserve for the database pools, the log, and the process itself.

/// Descriptors kept for everything that is not a client connection.
const RESERVE: u64 = 256;

/// The largest cap not above `wanted` that fits the open-file limit (after raising it).
pub fn fit_connection_cap(wanted: usize) -> usize {
    let needed = wanted as u64 + RESERVE;
    let limit = match rlimit::increase_nofile_limit(needed) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the open-file limit; keeping server.max_connections as configured");
            return wanted;
        }
    };
    if limit >= needed {
        return wanted;
    }
    let fitted = usize::try_from(limit.saturating_sub(RESERVE).max(1)).unwrap_or(wanted);
    tracing::warn!(
        server.max_connections = wanted,
        open_file_limit = limit,
        fitted,
        "server.max_connections does not fit the open-file limit (ulimit -n); lowered"
    );
    fitted
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cap_that_fits_is_kept_and_one_that_cannot_is_lowered() {
        assert_eq!(super::fit_connection_cap(16), 16);
        let huge = super::fit_connection_cap(1 << 40);
        assert!(huge < 1 << 40, "never above what the process may open");
    }
}
