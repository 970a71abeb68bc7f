//! What a serving process asks of the operating system about its own resources: giving freed
//! heap back after a large, short-lived job (model training, an index build: glibc keeps freed
//! memory of its arenas for reuse, so without this RSS stays at the peak of the largest past
//! job), and running background threads at a lower CPU priority than requests.

/// Returns free heap pages to the operating system where the C library supports it (glibc);
/// elsewhere does nothing.
pub fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory the allocator holds as free; it has no
    // preconditions and may be called from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Caps the C library's heap arenas at two (glibc makes up to eight per core, each holding on to
/// its own free memory): a long-running server's RSS then follows what it uses. Call once at
/// start, before threads are started.
pub fn limit_heap_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it has no memory-safety preconditions.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Lowers the CPU priority (nice `nice`, 0–19) of this process's threads whose name starts
/// with `prefix` (as the kernel keeps it: at most 15 bytes), so that background work such as
/// indexing yields to requests under load and catches up when they slow. Returns how many
/// threads were changed; 0 where unsupported.
pub fn lower_thread_priority(prefix: &str, nice: i32) -> usize {
    #[cfg(target_os = "linux")]
    {
        let prefix = &prefix.as_bytes()[..prefix.len().min(15)];
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0 };
        let mut n = 0;
        for t in tasks.flatten() {
            let Ok(tid) = t.file_name().to_string_lossy().parse::<u32>() else { continue };
            let Ok(comm) = std::fs::read(t.path().join("comm")) else { continue };
            if comm.starts_with(prefix) {
                // SAFETY: setpriority on a thread id of this process changes only its nice value.
                if unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, nice) } == 0 {
                    n += 1;
                }
            }
        }
        n
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (prefix, nice);
        0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn a_named_thread_gets_the_lower_priority() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<i32>();
        let h = std::thread::Builder::new()
            .name("redress-prio-t".into())
            .spawn(move || {
                ready_tx.send(0).unwrap();
                rx.recv().unwrap();
                // SAFETY: reads this thread's own nice value.
                unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
            })
            .unwrap();
        ready_rx.recv().unwrap();
        assert_eq!(super::lower_thread_priority("redress-prio-t", 7), 1);
        assert_eq!(super::lower_thread_priority("no-such-thread-x", 7), 0);
        tx.send(()).unwrap();
        assert_eq!(h.join().unwrap(), 7);
    }
}
