//! Reads Parquet, the format warehouses export typed data in: each top-level column is a
//! property, and typed values become the text HubSpot reads through the client's typed values
//! ([`hubspot_crm::ToPropertyValue`]): `DATE` as `YYYY-MM-DD`, timestamps as epoch
//! milliseconds, booleans as `true`/`false`, integers as digits, floats and decimals without
//! exponent, lists of values joined with `;`. A null leaves the property out (or clears it,
//! with `--send-empty-cells`).
//!
//! The file is read one row group at a time, through the `parquet` crate's record reader
//! (no arrow): memory holds one row group's pages, whatever the file's size. The schema is
//! checked before anything is read, so a column of a kind HubSpot has no value for (a struct,
//! a map) is a fatal error, not a failure on every row.

use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use hubspot_crm::{PropertyValue, ToPropertyValue};
use parquet::basic::{ConvertedType, LogicalType, Repetition, TimeUnit, Type as PhysicalType};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::reader::RowIter;
use parquet::record::{Field, Row};
use parquet::schema::types::Type;

use super::{InputError, InputProblem, InputRecord};

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// How a column's values are read, beyond what the record reader's [`Field`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// As the field says.
    Plain,
    /// `INT64` timestamps in nanoseconds, which the record reader yields as plain integers.
    TimestampNanos,
    /// `INT64` times of day in nanoseconds, yielded as plain integers too.
    TimeNanos,
    /// 16 bytes of a UUID.
    Uuid,
}

/// A streaming Parquet reader yielding one [`InputRecord`] per row.
pub struct ParquetRecords {
    rows: RowIter<'static>,
    input: String,
    /// The column names, in schema order (the order of a row's fields).
    columns: Vec<String>,
    /// How each column's values are read.
    kinds: Vec<Kind>,
    /// Index of the id column in `columns`.
    id_index: usize,
    send_empty_cells: bool,
    total: u64,
    next_index: u64,
    finished: bool,
}

impl ParquetRecords {
    /// Opens `path` and checks its schema; `input` names it in errors, `id_column` is the
    /// column holding the id.
    pub fn open(
        path: &Path,
        input: &str,
        id_column: &str,
        send_empty_cells: bool,
    ) -> Result<ParquetRecords, InputError> {
        let fatal = |problem| InputError::new(input, None, problem);
        let file = File::open(path).map_err(|e| fatal(InputProblem::Io(e)))?;
        let reader = SerializedFileReader::new(file)
            .map_err(|e| fatal(InputProblem::Parquet(e.to_string())))?;
        let metadata = reader.metadata().file_metadata();
        let total = u64::try_from(metadata.num_rows()).unwrap_or(0);
        let mut columns = Vec::new();
        let mut kinds = Vec::new();
        for field in metadata.schema_descr().root_schema().get_fields() {
            let kind = column_kind(field).map_err(|problem| {
                fatal(InputProblem::ParquetColumn {
                    column: field.name().to_string(),
                    problem,
                })
            })?;
            columns.push(field.name().to_string());
            kinds.push(kind);
        }
        let id_index = columns.iter().position(|c| c == id_column).ok_or_else(|| {
            fatal(InputProblem::NoIdColumn {
                column: id_column.to_string(),
                available: columns.join(", "),
            })
        })?;
        Ok(ParquetRecords {
            rows: RowIter::from_file_into(Box::new(reader)),
            input: input.to_string(),
            columns,
            kinds,
            id_index,
            send_empty_cells,
            total,
            next_index: 0,
            finished: false,
        })
    }

    /// The rows the file holds, from its footer.
    pub fn total_rows(&self) -> u64 {
        self.total
    }

    /// The row as a record, or its row error.
    fn record(&mut self, row: &Row) -> Result<InputRecord, InputError> {
        let index = self.next_index;
        self.next_index += 1;
        let line = index + 1;
        let mut id = None;
        let mut properties = Vec::with_capacity(self.columns.len().saturating_sub(1));
        for (i, (_, field)) in row.get_column_iter().enumerate() {
            let (Some(column), Some(&kind)) = (self.columns.get(i), self.kinds.get(i)) else {
                continue;
            };
            let value = match field {
                Field::Null if self.send_empty_cells && i != self.id_index => {
                    PropertyValue::Text(String::new())
                }
                other => value_of(other, kind),
            };
            let text = match value {
                PropertyValue::Text(text) => text,
                PropertyValue::Absent => continue,
                PropertyValue::Invalid(reason) => {
                    let problem = InputProblem::UnwritableValue {
                        column: column.clone(),
                        reason,
                    };
                    return Err(InputError::row(&self.input, index, line, problem));
                }
            };
            if i == self.id_index {
                let trimmed = text.trim();
                id = (!trimmed.is_empty()).then(|| trimmed.to_string());
            } else {
                properties.push((column.clone(), text));
            }
        }
        Ok(InputRecord {
            index,
            line,
            id,
            properties,
        })
    }
}

impl Iterator for ParquetRecords {
    type Item = Result<InputRecord, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        // The record reader panics on some corrupt files instead of failing; a panic here is
        // the file's fault, and ends it like any other unreadable page.
        let next = catch_unwind(AssertUnwindSafe(|| self.rows.next()));
        let row = match next {
            Ok(Some(Ok(row))) => row,
            Ok(None) => {
                self.finished = true;
                return None;
            }
            Ok(Some(Err(e))) => return Some(Err(self.unreadable(e.to_string()))),
            Err(_) => {
                return Some(Err(
                    self.unreadable("the Parquet reader failed on this row".into())
                ));
            }
        };
        Some(self.record(&row))
    }
}

impl ParquetRecords {
    /// The fatal error of a row that cannot be read at all: the file ends there.
    fn unreadable(&mut self, message: String) -> InputError {
        self.finished = true;
        InputError::new(
            &self.input,
            Some(self.next_index + 1),
            InputProblem::Parquet(message),
        )
    }
}

/// How a top-level column is read, or why it cannot be a property.
fn column_kind(field: &Type) -> Result<Kind, String> {
    let info = field.get_basic_info();
    if field.is_primitive() {
        if info.has_repetition() && info.repetition() == Repetition::REPEATED {
            return Err(
                "is a repeated field without a LIST annotation, which is not read; write it as a LIST"
                    .into(),
            );
        }
        return leaf_kind(field);
    }
    let is_list = info.converted_type() == ConvertedType::LIST
        || matches!(info.logical_type_ref(), Some(LogicalType::List));
    if !is_list {
        return Err(
            "is a group (a struct or a map), but HubSpot properties hold single values; flatten it upstream"
                .into(),
        );
    }
    // A LIST holds a repeated group of one element (or, in the legacy form, the repeated
    // element itself); the element must be a single value.
    let mut element = field;
    for _ in 0..2 {
        match element.get_fields() {
            [only] => element = only,
            _ => break,
        }
        if element.is_primitive() {
            return leaf_kind(element);
        }
    }
    Err("is a list of groups or of lists; only lists of single values are read".into())
}

/// How a primitive column is read, or why it is not.
fn leaf_kind(field: &Type) -> Result<Kind, String> {
    use ConvertedType as C;
    use PhysicalType as P;
    let info = field.get_basic_info();
    let converted = info.converted_type();
    let logical = info.logical_type_ref();
    let physical = field.get_physical_type();
    let readable = match physical {
        P::BOOLEAN | P::INT96 | P::FLOAT | P::DOUBLE => true,
        P::INT32 => matches!(
            converted,
            C::NONE
                | C::INT_8
                | C::INT_16
                | C::INT_32
                | C::UINT_8
                | C::UINT_16
                | C::UINT_32
                | C::DATE
                | C::TIME_MILLIS
                | C::DECIMAL
        ),
        P::INT64 => matches!(
            converted,
            C::NONE
                | C::INT_64
                | C::UINT_64
                | C::TIME_MICROS
                | C::TIMESTAMP_MILLIS
                | C::TIMESTAMP_MICROS
                | C::DECIMAL
        ),
        P::BYTE_ARRAY => {
            matches!(
                converted,
                C::UTF8 | C::ENUM | C::JSON | C::BSON | C::NONE | C::DECIMAL
            ) && !matches!(
                logical,
                Some(
                    LogicalType::Variant(_) | LogicalType::Geometry(_) | LogicalType::Geography(_)
                )
            )
        }
        P::FIXED_LEN_BYTE_ARRAY => matches!(converted, C::NONE | C::DECIMAL),
    };
    if !readable {
        return Err(format!(
            "has type {physical} ({converted}), which has no HubSpot value here; cast it upstream"
        ));
    }
    Ok(match (physical, logical) {
        (P::INT64, Some(LogicalType::Timestamp(t))) if t.unit == TimeUnit::NANOS => {
            Kind::TimestampNanos
        }
        (P::INT64, Some(LogicalType::Time(t))) if t.unit == TimeUnit::NANOS => Kind::TimeNanos,
        (P::FIXED_LEN_BYTE_ARRAY, Some(LogicalType::Uuid)) => Kind::Uuid,
        _ => Kind::Plain,
    })
}

/// A field's HubSpot value, through the client's typed values.
fn value_of(field: &Field, kind: Kind) -> PropertyValue {
    match field {
        Field::Null => PropertyValue::Absent,
        Field::Bool(b) => b.to_property_value(),
        Field::Byte(n) => n.to_property_value(),
        Field::Short(n) => n.to_property_value(),
        Field::Int(n) => n.to_property_value(),
        Field::Long(n) => match kind {
            Kind::TimestampNanos => DateTime::<Utc>::from_timestamp_nanos(*n).to_property_value(),
            Kind::TimeNanos => time_of_day(*n / 1_000_000_000, *n % 1_000_000_000, 9),
            _ => n.to_property_value(),
        },
        Field::UByte(n) => n.to_property_value(),
        Field::UShort(n) => n.to_property_value(),
        Field::UInt(n) => n.to_property_value(),
        Field::ULong(n) => n.to_property_value(),
        Field::Float16(n) => n.to_f32().to_property_value(),
        Field::Float(n) => n.to_property_value(),
        Field::Double(n) => n.to_property_value(),
        Field::Decimal(d) => match decimal_text(d.data(), d.scale()) {
            Some(text) => PropertyValue::Text(text),
            None => PropertyValue::Invalid(format!(
                "a decimal of {} bytes is wider than the 128 bits read here",
                d.data().len()
            )),
        },
        Field::Str(s) => s.to_property_value(),
        Field::Bytes(bytes) => {
            let bytes = bytes.data();
            match (kind, std::str::from_utf8(bytes)) {
                (Kind::Uuid, _) if bytes.len() == 16 => PropertyValue::Text(uuid_text(bytes)),
                (_, Ok(text)) => text.to_property_value(),
                (_, Err(_)) => PropertyValue::Invalid(
                    "binary data that is not UTF-8 text has no HubSpot value".into(),
                ),
            }
        }
        Field::Date(days) => days
            .checked_add(UNIX_EPOCH_DAYS_FROM_CE)
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .map_or_else(
                || PropertyValue::Invalid(format!("day {days} from 1970-01-01 is not a date")),
                |date| date.to_property_value(),
            ),
        Field::TimeMillis(ms) => {
            time_of_day(i64::from(*ms) / 1000, i64::from(*ms) % 1000 * 1_000_000, 3)
        }
        Field::TimeMicros(us) => time_of_day(*us / 1_000_000, *us % 1_000_000 * 1000, 6),
        Field::TimestampMillis(ms) => match DateTime::<Utc>::from_timestamp_millis(*ms) {
            Some(at) => at.to_property_value(),
            None => PropertyValue::Invalid(format!("{ms} ms from 1970 is out of range")),
        },
        Field::TimestampMicros(us) => match DateTime::<Utc>::from_timestamp_micros(*us) {
            Some(at) => at.to_property_value(),
            None => PropertyValue::Invalid(format!("{us} µs from 1970 is out of range")),
        },
        Field::ListInternal(list) => list
            .elements()
            .iter()
            .map(|element| value_of(element, kind))
            .collect::<Vec<_>>()
            .to_property_value(),
        Field::Group(_) | Field::MapInternal(_) => {
            PropertyValue::Invalid("a group has no HubSpot value".into())
        }
    }
}

/// A time of day as `HH:MM:SS` with `digits` fractional digits (HubSpot has no time-of-day
/// type; the text goes to a string property).
fn time_of_day(seconds: i64, nanos: i64, digits: usize) -> PropertyValue {
    let time = u32::try_from(seconds)
        .ok()
        .zip(u32::try_from(nanos).ok())
        .and_then(|(s, n)| NaiveTime::from_num_seconds_from_midnight_opt(s, n));
    match time {
        Some(time) => {
            let text = time.format("%H:%M:%S%.9f").to_string();
            // `%.9f` always writes nine digits; keep the column's precision.
            PropertyValue::Text(text[..9 + digits].to_string())
        }
        None => PropertyValue::Invalid(format!("{seconds} s after midnight is not a time of day")),
    }
}

/// A decimal stored as big-endian two's complement `bytes` with `scale` digits after the point,
/// as exact digits without exponent; `None` when wider than 128 bits.
fn decimal_text(bytes: &[u8], scale: i32) -> Option<String> {
    if bytes.len() > 16 {
        return None;
    }
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut value: i128 = if negative { -1 } else { 0 };
    for &b in bytes {
        value = (value << 8) | i128::from(b);
    }
    let mut digits = value.unsigned_abs().to_string();
    let scale = usize::try_from(scale).unwrap_or(0);
    if scale > 0 {
        if digits.len() <= scale {
            digits.insert_str(0, &"0".repeat(scale + 1 - digits.len()));
        }
        digits.insert(digits.len() - scale, '.');
    }
    if negative {
        digits.insert(0, '-');
    }
    Some(digits)
}

/// 16 bytes as a UUID's canonical text.
fn uuid_text(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::Arc;

    use parquet::data_type::{
        BoolType, ByteArray, ByteArrayType, DoubleType, FixedLenByteArray, FixedLenByteArrayType,
        Int32Type, Int64Type,
    };
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    /// The schema of the test file: every kind of column the reader maps.
    const SCHEMA: &str = "message contacts {
        required binary email (STRING);
        optional binary firstname (STRING);
        optional int32 employees;
        optional int64 revenue_cents (DECIMAL(12,2));
        optional double score;
        optional boolean vip;
        optional int32 start (DATE);
        optional int64 seen (TIMESTAMP(MILLIS,true));
        optional int64 seen_ns (TIMESTAMP(NANOS,true));
        optional fixed_len_byte_array(16) ref (UUID);
        optional group tags (LIST) {
            repeated group list {
                optional binary element (STRING);
            }
        }
    }";

    /// Writes the test file: two row groups, three rows; row 2 has nulls everywhere it may.
    pub(crate) fn write_test_file(path: &Path) {
        let schema = Arc::new(parse_message_type(SCHEMA).expect("schema"));
        let props = Arc::new(WriterProperties::builder().build());
        let file = File::create(path).expect("create");
        let mut writer = SerializedFileWriter::new(file, schema, props).expect("writer");
        let text = |s: &str| ByteArray::from(s);
        // Row group 1: rows 1 and 2.
        let mut group = writer.next_row_group().expect("group");
        let mut n = 0;
        while let Some(mut column) = group.next_column().expect("column") {
            let one = &[1i16, 0][..];
            match n {
                0 => column.typed::<ByteArrayType>().write_batch(
                    &[text("ada@example.com"), text(" bob@example.com ")],
                    None,
                    None,
                ),
                1 => column
                    .typed::<ByteArrayType>()
                    .write_batch(&[text("Ada")], Some(one), None),
                2 => column
                    .typed::<Int32Type>()
                    .write_batch(&[120], Some(one), None),
                3 => column
                    .typed::<Int64Type>()
                    .write_batch(&[-125_000_005], Some(one), None),
                4 => column
                    .typed::<DoubleType>()
                    .write_batch(&[0.1], Some(one), None),
                5 => column
                    .typed::<BoolType>()
                    .write_batch(&[true], Some(one), None),
                6 => column
                    .typed::<Int32Type>()
                    .write_batch(&[20_513], Some(one), None),
                7 => column
                    .typed::<Int64Type>()
                    .write_batch(&[1_772_359_200_123], Some(one), None),
                8 => column.typed::<Int64Type>().write_batch(
                    &[1_772_359_200_123_456_789],
                    Some(one),
                    None,
                ),
                9 => column.typed::<FixedLenByteArrayType>().write_batch(
                    &[FixedLenByteArray::from((0u8..16).collect::<Vec<u8>>())],
                    Some(one),
                    None,
                ),
                // tags: ["analytics", "engines"] for row 1, an empty list for row 2.
                _ => column.typed::<ByteArrayType>().write_batch(
                    &[text("analytics"), text("engines")],
                    Some(&[3, 3, 1]),
                    Some(&[0, 1, 0]),
                ),
            }
            .expect("write");
            column.close().expect("close column");
            n += 1;
        }
        group.close().expect("close group");
        // Row group 2: row 3, with a NaN score.
        let mut group = writer.next_row_group().expect("group");
        let mut n = 0;
        while let Some(mut column) = group.next_column().expect("column") {
            let zero = &[0i16][..];
            match n {
                0 => column.typed::<ByteArrayType>().write_batch(
                    &[text("nan@example.com")],
                    None,
                    None,
                ),
                4 => column
                    .typed::<DoubleType>()
                    .write_batch(&[f64::NAN], Some(&[1]), None),
                1 => column
                    .typed::<ByteArrayType>()
                    .write_batch(&[], Some(zero), None),
                2 | 6 => column
                    .typed::<Int32Type>()
                    .write_batch(&[], Some(zero), None),
                3 | 7 | 8 => column
                    .typed::<Int64Type>()
                    .write_batch(&[], Some(zero), None),
                5 => column
                    .typed::<BoolType>()
                    .write_batch(&[], Some(zero), None),
                9 => column
                    .typed::<FixedLenByteArrayType>()
                    .write_batch(&[], Some(zero), None),
                _ => column
                    .typed::<ByteArrayType>()
                    .write_batch(&[], Some(zero), Some(zero)),
            }
            .expect("write");
            column.close().expect("close column");
            n += 1;
        }
        group.close().expect("close group");
        writer.close().expect("close file");
    }

    fn read(send_empty_cells: bool) -> Vec<Result<InputRecord, String>> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("contacts.parquet");
        write_test_file(&path);
        let reader = ParquetRecords::open(&path, "contacts.parquet", "email", send_empty_cells)
            .expect("opens");
        assert_eq!(reader.total_rows(), 3);
        reader.map(|r| r.map_err(|e| e.to_string())).collect()
    }

    fn props(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn typed_columns_become_hubspot_values_and_nulls_are_left_out() {
        let rows = read(false);
        assert_eq!(
            rows,
            vec![
                Ok(InputRecord {
                    index: 0,
                    line: 1,
                    id: Some("ada@example.com".into()),
                    properties: props(&[
                        ("firstname", "Ada"),
                        ("employees", "120"),
                        ("revenue_cents", "-1250000.05"),
                        ("score", "0.1"),
                        ("vip", "true"),
                        ("start", "2026-03-01"),
                        ("seen", "1772359200123"),
                        ("seen_ns", "1772359200123"),
                        ("ref", "00010203-0405-0607-0809-0a0b0c0d0e0f"),
                        ("tags", "analytics;engines"),
                    ]),
                }),
                Ok(InputRecord {
                    index: 1,
                    line: 2,
                    id: Some("bob@example.com".into()),
                    properties: props(&[("tags", "")]),
                }),
                Err("contacts.parquet, line 3: column `score`: NaN is not a number HubSpot can store (NaN and infinities are refused)".into()),
            ]
        );
    }

    #[test]
    fn nulls_clear_with_send_empty_cells() {
        let rows = read(true);
        let bob = rows[1].as_ref().expect("row 2");
        assert_eq!(bob.properties.len(), 10);
        assert!(bob.properties.iter().all(|(_, v)| v.is_empty()), "{bob:?}");
    }

    #[test]
    fn decimals_are_exact_without_exponent() {
        assert_eq!(
            decimal_text(&12345i32.to_be_bytes(), 2).as_deref(),
            Some("123.45")
        );
        assert_eq!(
            decimal_text(&(-5i64).to_be_bytes(), 3).as_deref(),
            Some("-0.005")
        );
        assert_eq!(decimal_text(&[0x01, 0x00], 0).as_deref(), Some("256"));
        assert_eq!(
            decimal_text(&i128::MIN.to_be_bytes(), 0).as_deref(),
            Some("-170141183460469231731687303715884105728")
        );
        assert_eq!(decimal_text(&[0; 17], 0), None);
    }

    #[test]
    fn times_of_day_keep_their_precision() {
        assert_eq!(
            value_of(&Field::TimeMillis(3_723_004), Kind::Plain),
            PropertyValue::Text("01:02:03.004".into())
        );
        assert_eq!(
            value_of(&Field::TimeMicros(1), Kind::Plain),
            PropertyValue::Text("00:00:00.000001".into())
        );
        assert!(matches!(
            value_of(&Field::TimeMillis(-1), Kind::Plain),
            PropertyValue::Invalid(_)
        ));
    }

    #[test]
    fn unusable_schemas_and_files_are_fatal_errors_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let open = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).expect("write");
            ParquetRecords::open(&path, name, "email", false)
                .err()
                .expect("refused")
                .to_string()
        };
        assert!(
            open("junk.parquet", b"PAR1 not really parquet PAR1")
                .starts_with("junk.parquet: not a readable Parquet file: "),
        );
        let good = dir.path().join("good.parquet");
        write_test_file(&good);
        let mut bytes = std::fs::read(&good).expect("read");
        bytes.truncate(bytes.len() / 2);
        assert!(
            open("half.parquet", &bytes).starts_with("half.parquet: not a readable Parquet file: "),
        );
        let err = ParquetRecords::open(&good, "good.parquet", "phone", false)
            .err()
            .expect("no such column")
            .to_string();
        assert!(
            err.starts_with(
                "good.parquet: the Parquet file has no id column `phone` (columns: email, firstname, employees"
            ),
            "{err}"
        );
        let nested = dir.path().join("nested.parquet");
        let schema = parse_message_type(
            "message m { required binary email (STRING); optional group address { optional binary city (STRING); } }",
        )
        .expect("schema");
        let writer = SerializedFileWriter::new(
            File::create(&nested).expect("create"),
            Arc::new(schema),
            Arc::new(WriterProperties::builder().build()),
        )
        .expect("writer");
        writer.close().expect("close");
        let err = ParquetRecords::open(&nested, "nested.parquet", "email", false)
            .err()
            .expect("a struct column")
            .to_string();
        assert_eq!(
            err,
            "nested.parquet: Parquet column `address` is a group (a struct or a map), but HubSpot properties hold single values; flatten it upstream"
        );
    }
}
