//! Giving freed heap back to the operating system after a large, short-lived job (model
//! training, an index build). glibc keeps freed memory of the main and thread arenas for reuse,
//! so without this a server's RSS stays at the peak of its largest past job.

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
