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
