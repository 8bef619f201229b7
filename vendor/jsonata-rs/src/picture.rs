//! Picture strings of integers and dates (XPath F&O 3.1 `format-integer`
//! and `format-dateTime`) written after jsonata-js 2.x's datetime.js, so
//! that `$formatInteger`, `$parseInteger`, `$fromMillis`, `$now` and
//! `$toMillis` answer as Node-RED's JSONata does.

pub mod datetime;
pub mod integer;
mod words;
