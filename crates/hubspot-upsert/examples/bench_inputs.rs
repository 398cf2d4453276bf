//! Writes the same synthetic contacts as plain CSV, gzipped CSV, NDJSON and Parquet, for the
//! reading and memory figures in BENCHMARKS.md (the shape of `hubspot-bench`'s records: an id
//! under `contact_external_id` and six string properties).
//!
//! ```text
//! cargo run --release -p hubspot-upsert --example bench_inputs -- DIR RECORDS
//! ```
//!
//! Writes `DIR/inputs-RECORDS.{csv,csv.gz,ndjson,parquet}`; the Parquet file is
//! snappy-compressed in row groups of 100,000 rows, as warehouses write it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use parquet::data_type::{ByteArray, ByteArrayType};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

const COLUMNS: [&str; 7] = [
    "contact_external_id",
    "email",
    "firstname",
    "lastname",
    "company",
    "city",
    "country",
];
const ROW_GROUP: u64 = 100_000;

/// The values of record `i`, in [`COLUMNS`] order.
fn record(i: u64) -> [String; 7] {
    [
        format!("in-{i:08}"),
        format!("in-{i}@bench.example.com"),
        format!("First{}", i % 997),
        format!("Last{}", i % 1009),
        format!("Company {}", i % 101),
        "Lyon".to_owned(),
        "France".to_owned(),
    ]
}

fn write_text(path: &Path, n: u64, gzip: bool, ndjson: bool) -> std::io::Result<()> {
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut out: Box<dyn Write> = if gzip {
        Box::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::default(),
        ))
    } else {
        Box::new(file)
    };
    if !ndjson {
        writeln!(out, "{}", COLUMNS.join(","))?;
    }
    for i in 0..n {
        let values = record(i);
        if ndjson {
            let fields: Vec<String> = COLUMNS
                .iter()
                .zip(&values)
                .map(|(k, v)| format!("\"{k}\":\"{v}\""))
                .collect();
            writeln!(out, "{{{}}}", fields.join(","))?;
        } else {
            writeln!(out, "{}", values.join(","))?;
        }
    }
    out.flush()
}

fn write_parquet(path: &Path, n: u64) -> Result<(), Box<dyn std::error::Error>> {
    let fields: Vec<String> = COLUMNS
        .iter()
        .map(|c| format!("required binary {c} (STRING);"))
        .collect();
    let schema = parquet::schema::parser::parse_message_type(&format!(
        "message contacts {{ {} }}",
        fields.join(" ")
    ))?;
    let props = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .build();
    let mut writer =
        SerializedFileWriter::new(File::create(path)?, Arc::new(schema), Arc::new(props))?;
    for start in (0..n).step_by(ROW_GROUP as usize) {
        let end = n.min(start + ROW_GROUP);
        let rows: Vec<[String; 7]> = (start..end).map(record).collect();
        let mut group = writer.next_row_group()?;
        let mut k = 0;
        while let Some(mut column) = group.next_column()? {
            let values: Vec<ByteArray> = rows
                .iter()
                .map(|r| ByteArray::from(r[k].as_bytes().to_vec()))
                .collect();
            column
                .typed::<ByteArrayType>()
                .write_batch(&values, None, None)?;
            column.close()?;
            k += 1;
        }
        group.close()?;
    }
    writer.close()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, n] = args.as_slice() else {
        return Err("usage: bench_inputs DIR RECORDS".into());
    };
    let n: u64 = n.parse()?;
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir)?;
    let name = |ext: &str| dir.join(format!("inputs-{n}.{ext}"));
    write_text(&name("csv"), n, false, false)?;
    write_text(&name("csv.gz"), n, true, false)?;
    write_text(&name("ndjson"), n, false, true)?;
    write_parquet(&name("parquet"), n)?;
    for ext in ["csv", "csv.gz", "ndjson", "parquet"] {
        let path = name(ext);
        println!(
            "{} {} bytes",
            path.display(),
            std::fs::metadata(&path)?.len()
        );
    }
    Ok(())
}
