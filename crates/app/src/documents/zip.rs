//! A minimal ZIP writer: stored (uncompressed) entries with CRC-32, enough for an Office Open
//! XML package. No compression, no ZIP64 (a document is a few kilobytes).

use chrono::{Datelike, NaiveDate};

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), the checksum ZIP uses.
pub fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    let mut c = !0u32;
    for &b in data {
        c = TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// MS-DOS date of a day (1980–2107), as ZIP headers store it.
fn dos_date(d: NaiveDate) -> u16 {
    let year = (d.year().clamp(1980, 2107) - 1980) as u16;
    (year << 9) | ((d.month() as u16) << 5) | d.day() as u16
}

/// Writes the entries, in order, as one ZIP archive; every entry dated `date` at 00:00.
/// Names are UTF-8 (general-purpose flag bit 11).
pub fn store(entries: &[(&str, &[u8])], date: NaiveDate) -> Vec<u8> {
    const UTF8: u16 = 1 << 11;
    const VERSION: u16 = 20;
    let date = dos_date(date);
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = u32::try_from(out.len()).expect("archive below 4 GiB");
        let size = u32::try_from(data.len()).expect("entry below 4 GiB");
        let crc = crc32(data);
        let name_len = u16::try_from(name.len()).expect("short entry name");
        // Local file header.
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        for v in [VERSION, UTF8, 0, 0, date] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        // Central directory header.
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        for v in [VERSION, VERSION, UTF8, 0, 0, date] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [name_len, 0, 0, 0, 0] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = u32::try_from(out.len()).expect("archive below 4 GiB");
    let cd_size = u32::try_from(central.len()).expect("directory below 4 GiB");
    let count = u16::try_from(entries.len()).expect("fewer than 65536 entries");
    out.extend_from_slice(&central);
    // End of central directory record.
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, count, count] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_values() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32("受理告知书".as_bytes()), crc32("受理告知书".as_bytes()));
        assert_ne!(crc32(b"a"), crc32(b"b"));
    }

    #[test]
    fn archive_is_read_back_by_python_zipfile() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let zip = store(&[("a.txt", b"hello"), ("目录/中文.txt", "你好，世界".as_bytes()), ("empty", b"")], date);
        let out = super::super::docx::tests::python(
            "import io,sys,zipfile\n\
             z=zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))\n\
             assert z.testzip() is None\n\
             for i in z.infolist():\n\
             \x20   assert i.compress_type==zipfile.ZIP_STORED\n\
             \x20   print(i.filename, i.file_size, i.date_time[:3], z.read(i.filename).decode('utf-8'))\n",
            &zip,
        );
        assert_eq!(out, "a.txt 5 (2026, 3, 2) hello\n目录/中文.txt 15 (2026, 3, 2) 你好，世界\nempty 0 (2026, 3, 2) \n");
    }
}
