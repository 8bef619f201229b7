use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

pub fn parse_custom_format(timestamp_str: &str, picture: &str) -> Option<i64> {
    match picture {
        // Handle ISO 8601 dates (including with timezone offsets like "+0000")
        "" => {
            // Handle year-only input (e.g., "2018")
            if let Some(millis) = parse_year_only(timestamp_str) {
                return Some(millis);
            }
            // Handle date-only input (e.g., "2017-10-30")
            if let Some(millis) = parse_date_only(timestamp_str) {
                return Some(millis);
            }
            // Handle ISO 8601 formats with timezone offsets (e.g., "2018-02-01T09:42:13.123+0000")
            if let Some(millis) = parse_iso8601_with_timezone(timestamp_str) {
                return Some(millis);
            }
            // Handle other standard ISO 8601 formats (e.g., "1970-01-01T00:00:00.001Z")
            if let Some(millis) = parse_iso8601_date(timestamp_str) {
                return Some(millis);
            }
            None
        }

        // Handle the simple year format "[Y1]"
        "[Y1]" => {
            if let Ok(year) = timestamp_str.parse::<i32>() {
                let parsed_year = NaiveDate::from_ymd_opt(year, 1, 1)?;
                let time = NaiveTime::from_hms_opt(0, 0, 0)?;
                let datetime = NaiveDateTime::new(parsed_year, time);
                return Some(Utc.from_utc_datetime(&datetime).timestamp_millis());
            }
            None
        }

        // Handle Roman numeral year format "[YI]" (e.g., 'MCMLXXXIV')
        "[YI]" => {
            if let Some(year) = roman_to_int(timestamp_str) {
                let parsed_year = NaiveDate::from_ymd_opt(year, 1, 1)?;
                let time = NaiveTime::from_hms_opt(0, 0, 0)?;
                let datetime = NaiveDateTime::new(parsed_year, time);
                return Some(Utc.from_utc_datetime(&datetime).timestamp_millis());
            }
            None
        }

        // Handle the format '[Yw]' (e.g., 'one thousand, nine hundred and eighty-four')
        "[Yw]" => {
            // Convert the word-based year (e.g., 'one thousand, nine hundred and eighty-four') to a number
            let year = words_to_number(&timestamp_str.to_lowercase())?;

            // Set the date to January 1st of the given year
            let parsed_date = NaiveDate::from_ymd_opt(year, 1, 1)?;
            let time = NaiveTime::from_hms_opt(0, 0, 0)?;
            let datetime = NaiveDateTime::new(parsed_date, time);

            Some(Utc.from_utc_datetime(&datetime).timestamp_millis())
        }

        "[Y]-[M]-[D]" => {
            if let Some(millis) = parse_ymd_date(timestamp_str) {
                return Some(millis);
            }
            None
        }

        // Handle the format '[H]:[m]' (e.g., '13:45')
        "[H]:[m]" => {
            let parts: Vec<&str> = timestamp_str.split(':').collect();
            if parts.len() == 2 {
                // Parse the hour and minute
                let hour: u32 = parts[0].parse().ok()?;
                let minute: u32 = parts[1].parse().ok()?;

                // Use the current date along with the given time
                let now = Utc::now(); // Get current date
                let parsed_date = NaiveDate::from_ymd_opt(now.year(), now.month(), now.day())?;
                let time = NaiveTime::from_hms_opt(hour, minute, 0)?;
                let datetime = NaiveDateTime::new(parsed_date, time);

                // Return the timestamp in milliseconds
                return Some(Utc.from_utc_datetime(&datetime).timestamp_millis());
            }
            None
        }

        // Custom date format handling with time and AM/PM
        "[D1]/[M1]/[Y0001] [h]:[m] [P]" => {
            if let Some(parsed_datetime) = parse_custom_date(timestamp_str) {
                let utc_datetime = Utc.from_utc_datetime(&parsed_datetime);
                return Some(utc_datetime.timestamp_millis());
            }
            None
        }

        // Handle the format '[Y0001]-[d001]' (e.g., '2018-094')
        "[Y0001]-[d001]" => {
            if let Some(parsed_datetime) = parse_ordinal_date(timestamp_str) {
                let utc_datetime = Utc.from_utc_datetime(&parsed_datetime);
                return Some(utc_datetime.timestamp_millis());
            }
            None
        }

        // Handle the format '[FNn], [D1o] [MNn] [Y]' (e.g., 'Wednesday, 14th November 2018')
        "[FNn], [D1o] [MNn] [Y]" => {
            if let Some(parsed_datetime) = parse_custom_date_with_weekday(timestamp_str) {
                let utc_datetime = Utc.from_utc_datetime(&parsed_datetime);
                return Some(utc_datetime.timestamp_millis());
            }
            None
        }

        // Handle the format '[FNn,*-3], [DWwo] [MNn] [Y]' (e.g., 'Mon, Twelfth November 2018')
        "[FNn,*-3], [DWwo] [MNn] [Y]" => {
            if let Some(parsed_datetime) = parse_custom_date_with_weekday_and_ordinal(timestamp_str)
            {
                let utc_datetime = Utc.from_utc_datetime(&parsed_datetime);
                return Some(utc_datetime.timestamp_millis());
            }
            None
        }

        // Handle the format '[dwo] day of [Y]' (e.g., 'three hundred and sixty-fifth day of 2018')
        "[dwo] day of [Y]" => {
            if let Some(parsed_datetime) = parse_ordinal_day_of_year(timestamp_str) {
                let utc_datetime = Utc.from_utc_datetime(&parsed_datetime);
                return Some(utc_datetime.timestamp_millis());
            }
            None
        }

        // Handle the format '[Y]--[d]' (e.g., '2018--180')
        "[Y]--[d]" => {
            if let Some(parsed_datetime) = parse_ordinal_date_with_dashes(timestamp_str) {
                let utc_datetime = Utc.from_utc_datetime(&parsed_datetime);
                return Some(utc_datetime.timestamp_millis());
            }
            None
        }

        // Handle the format '[Dw] [MNn] [Y0001]' (e.g., 'twenty-seven April 2008')
        "[Dw] [MNn] [Y0001]" => {
            // Split the timestamp string into parts (day, month, year)
            let parts: Vec<&str> = timestamp_str.split_whitespace().collect();
            if parts.len() != 3 {
                return None;
            }

            let day_str = remove_day_suffix(parts[0]);
            let day = words_to_number(&day_str.to_lowercase())? as u32;

            // Convert the month name (e.g., 'April') into its corresponding numeric value
            let month = month_name_to_int(parts[1])?;

            // Handle the year: try parsing it as a direct number first, then fall back to word-based parsing
            let year_str = parts[2..].join(" ");
            let year = match year_str.parse::<i32>() {
                Ok(num) => num,
                Err(_) => words_to_number(&year_str)? as i32, // If it's word-based (e.g., 'two thousand and seventeen')
            };
            println!("year {}", year);

            let parsed_date = NaiveDate::from_ymd_opt(year, month, day)?;
            let time = NaiveTime::from_hms_opt(0, 0, 0)?;
            let datetime = NaiveDateTime::new(parsed_date, time);

            Some(Utc.from_utc_datetime(&datetime).timestamp_millis())
        }

        // Handle the format '[D1] [M01] [YI]' (e.g., '27 03 MMXVIII')
        "[D1] [M01] [YI]" => {
            let parts: Vec<&str> = timestamp_str.split_whitespace().collect();
            if parts.len() == 3 {
                let day: u32 = parts[0].parse().ok()?;
                let month: u32 = parts[1].parse().ok()?;
                let year = roman_to_int(parts[2])?;
                let parsed_date = NaiveDate::from_ymd_opt(year, month, day)?;
                let time = NaiveTime::from_hms_opt(0, 0, 0)?;
                let datetime = NaiveDateTime::new(parsed_date, time);
                return Some(Utc.from_utc_datetime(&datetime).timestamp_millis());
            }
            None
        }

        // Handle the format '[D1] [Mi] [YI]' (e.g., '27 iii MMXVIII')
        "[D1] [Mi] [YI]" => {
            let parts: Vec<&str> = timestamp_str.split_whitespace().collect();
            if parts.len() == 3 {
                let day: u32 = parts[0].parse().ok()?;
                let month = roman_to_int(parts[1].to_uppercase().as_str())? as u32;
                let year = roman_to_int(parts[2])?;

                let parsed_date = NaiveDate::from_ymd_opt(year, month, day)?;
                let time = NaiveTime::from_hms_opt(0, 0, 0)?;
                let datetime = NaiveDateTime::new(parsed_date, time);

                return Some(Utc.from_utc_datetime(&datetime).timestamp_millis());
            }
            None
        }

        // Handle the format '[Da] [MA] [Yi]' (e.g., 'w C mmxviii')
        "[Da] [MA] [Yi]" => {
            let parts: Vec<&str> = timestamp_str.split_whitespace().collect();
            if parts.len() == 3 {
                let month = roman_month_to_int(parts[1])?;
                let year = roman_to_int(parts[2].to_uppercase().as_str())?;
                let day = alphabetic_to_day(parts[0])?;

                let parsed_date = NaiveDate::from_ymd_opt(year, month, day)?;
                let time = NaiveTime::from_hms_opt(0, 0, 0)?;
                let datetime = NaiveDateTime::new(parsed_date, time);

                return Some(Utc.from_utc_datetime(&datetime).timestamp_millis());
            }
            None
        }

        // Handle the format '[D1o] [M#1] [Y0001]' (e.g., '27th 3 1976')
        "[D1o] [M#1] [Y0001]" => {
            let cleaned_timestamp = timestamp_str
                .replace("th", "")
                .replace("st", "")
                .replace("nd", "")
                .replace("rd", "");
            let parts: Vec<&str> = cleaned_timestamp.split_whitespace().collect();
            if parts.len() == 3 {
                let day: u32 = parts[0].parse().ok()?;
                let month: u32 = parts[1].parse().ok()?;
                let year: i32 = parts[2].parse().ok()?;
                let parsed_date = NaiveDate::from_ymd_opt(year, month, day)?;
                let time = NaiveTime::from_hms_opt(0, 0, 0)?;
                let datetime = NaiveDateTime::new(parsed_date, time);
                return Some(Utc.from_utc_datetime(&datetime).timestamp_millis());
            }
            None
        }

        // Handle the format '[D1o] [MNn] [Y0001]' (e.g., '27th April 2008')
        "[D1o] [MNn] [Y0001]" => {
            let parts: Vec<&str> = timestamp_str.split_whitespace().collect();
            if parts.len() == 3 {
                let day = remove_ordinal_suffix(parts[0])?;
                let month = month_name_to_int(parts[1])?;
                let year = parts[2].parse::<i32>().ok()?;

                let parsed_date = NaiveDate::from_ymd_opt(year, month, day)?;
                let time = NaiveTime::from_hms_opt(0, 0, 0)?;
                let datetime = NaiveDateTime::new(parsed_date, time);

                return Some(Utc.from_utc_datetime(&datetime).timestamp_millis());
            }
            None
        }

        // Handle the format '[D1] [MNn] [Y0001]' (e.g., '21 August 2017')
        "[D1] [MNn] [Y0001]" => {
            let parts: Vec<&str> = timestamp_str.split_whitespace().collect();
            if parts.len() == 3 {
                let day = parts[0].parse::<u32>().ok()?;
                let month = month_name_to_int(parts[1])?;
                let year = parts[2].parse::<i32>().ok()?;

                let parsed_date = NaiveDate::from_ymd_opt(year, month, day)?;
                let time = NaiveTime::from_hms_opt(0, 0, 0)?;
                let datetime = NaiveDateTime::new(parsed_date, time);

                return Some(Utc.from_utc_datetime(&datetime).timestamp_millis());
            }
            None
        }

        // Handle the format '[D1] [MNn,3-3] [Y0001]' (e.g., '2 Feb 2012')
        "[D1] [MNn,3-3] [Y0001]" => {
            let parts: Vec<&str> = timestamp_str.split_whitespace().collect();
            if parts.len() == 3 {
                let day = parts[0].parse::<u32>().ok()?;
                let month = abbreviated_month_to_int(parts[1])?;
                let year = parts[2].parse::<i32>().ok()?;

                let parsed_date = NaiveDate::from_ymd_opt(year, month, day)?;
                let time = NaiveTime::from_hms_opt(0, 0, 0)?;
                let datetime = NaiveDateTime::new(parsed_date, time);

                return Some(Utc.from_utc_datetime(&datetime).timestamp_millis());
            }
            None
        }

        // Handle the format '[D1o] [M01] [Y0001]' (e.g., '21st 12 1881')
        "[D1o] [M01] [Y0001]" => {
            let cleaned_timestamp = timestamp_str
                .replace("th", "")
                .replace("st", "")
                .replace("nd", "")
                .replace("rd", "");
            let parts: Vec<&str> = cleaned_timestamp.split_whitespace().collect();
            if parts.len() == 3 {
                let day: u32 = parts[0].parse().ok()?;
                let month: u32 = parts[1].parse().ok()?;
                let year: i32 = parts[2].parse().ok()?;
                let parsed_date = NaiveDate::from_ymd_opt(year, month, day)?;
                let time = NaiveTime::from_hms_opt(0, 0, 0)?;
                let datetime = NaiveDateTime::new(parsed_date, time);
                return Some(Utc.from_utc_datetime(&datetime).timestamp_millis());
            }
            None
        }

        // Handle the format '[D01]/[M01]/[Y0001] [H01]:[m01]:[s01]' (e.g., '13/09/2024 13:45:00')
        "[D01]/[M01]/[Y0001] [H01]:[m01]:[s01]" => {
            // Split the input timestamp into date and time parts
            let parts: Vec<&str> = timestamp_str.split_whitespace().collect();
            if parts.len() != 2 {
                return None;
            }

            let date_part = parts[0];
            let time_part = parts[1];

            // Split the date part into day, month, and year
            let date_elements: Vec<&str> = date_part.split('/').collect();
            if date_elements.len() != 3 {
                return None;
            }

            let day = date_elements[0].parse::<u32>().ok()?;
            let month = date_elements[1].parse::<u32>().ok()?;
            let year = date_elements[2].parse::<i32>().ok()?;

            // Split the time part into hours, minutes, and seconds
            let time_elements: Vec<&str> = time_part.split(':').collect();
            if time_elements.len() != 3 {
                return None;
            }

            let hour = time_elements[0].parse::<u32>().ok()?;
            let minute = time_elements[1].parse::<u32>().ok()?;
            let second = time_elements[2].parse::<u32>().ok()?;

            // Construct NaiveDate and NaiveTime objects from the parsed values
            let parsed_date = NaiveDate::from_ymd_opt(year, month, day)?;
            let parsed_time = NaiveTime::from_hms_opt(hour, minute, second)?;
            let datetime = NaiveDateTime::new(parsed_date, parsed_time);

            // Convert NaiveDateTime to UTC using TimeZone::from_utc_datetime
            let utc_datetime: DateTime<Utc> = Utc.from_utc_datetime(&datetime);

            // Return the milliseconds since Unix epoch for the UTC datetime
            Some(utc_datetime.timestamp_millis())
        }

        // Handle ISO 8601-like formats with custom pattern handling
        "[Y0001]-[M01]-[D01]" => {
            if let Ok(parsed_date) = NaiveDate::parse_from_str(timestamp_str, "%Y-%m-%d") {
                let time = NaiveTime::from_hms_opt(0, 0, 0)?;
                let datetime = NaiveDateTime::new(parsed_date, time);
                return Some(Utc.from_utc_datetime(&datetime).timestamp_millis());
            }
            None
        }

        // Handle ISO 8601-like formats with custom pattern handling like '[Y1]-[M01]-[D01]'
        "[Y1]-[M01]-[D01]" => {
            if let Ok(parsed_date) = NaiveDate::parse_from_str(timestamp_str, "%Y-%m-%d") {
                let time = NaiveTime::from_hms_opt(0, 0, 0)?;
                let datetime = NaiveDateTime::new(parsed_date, time);
                return Some(Utc.from_utc_datetime(&datetime).timestamp_millis());
            }
            None
        }

        "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001]Z" => {
            if let Ok(parsed_datetime) = DateTime::parse_from_rfc3339(timestamp_str) {
                return Some(parsed_datetime.timestamp_millis());
            }
            None
        }

        // Handle the format '[Dw] [MNn] [Yw]' (e.g., 'twenty-first August two thousand and seventeen')
        "[Dw] [MNn] [Yw]" => {
            let parts: Vec<&str> = timestamp_str.split_whitespace().collect();
            if parts.len() < 5 {
                return None;
            }

            let day_str = parse_day_str(parts[0]);
            let day = words_to_number(&day_str.to_lowercase())? as u32;
            let month = month_name_to_int(parts[1])?;

            let year_str = parts[2..].join(" ");
            let year = words_to_number(&year_str.to_lowercase())? as i32;

            let parsed_date = NaiveDate::from_ymd_opt(year, month, day)?;
            let time = NaiveTime::from_hms_opt(0, 0, 0)?;
            let datetime = NaiveDateTime::new(parsed_date, time);

            // Return the timestamp in milliseconds
            Some(Utc.from_utc_datetime(&datetime).timestamp_millis())
        }

        "[DW] [MNn] [Yw]" => {
            // Split the timestamp string into parts (day, month, year)
            let parts: Vec<&str> = timestamp_str.split_whitespace().collect();
            if parts.len() < 5 {
                return None;
            }

            let day_str = parse_day_str(parts[0]);
            let day = words_to_number(&day_str.to_lowercase())? as u32;
            let month = month_name_to_int(parts[1])?;

            let year_str = parts[2..].join(" ");
            let year = words_to_number(&year_str.to_lowercase())? as i32;

            let parsed_date = NaiveDate::from_ymd_opt(year, month, day)?;
            let time = NaiveTime::from_hms_opt(0, 0, 0)?;
            let datetime = NaiveDateTime::new(parsed_date, time);

            // Return the timestamp in milliseconds
            Some(Utc.from_utc_datetime(&datetime).timestamp_millis())
        }

        // Handle the format '[DW] of [MNn], [Yw]' (e.g., 'Twentieth of August, two thousand and seventeen')
        "[DW] of [MNn], [Yw]" => {
            let cleaned_str = timestamp_str.replace("of", "").replace(",", "");
            let parts: Vec<&str> = cleaned_str.split_whitespace().collect();
            if parts.len() < 5 {
                return None;
            }

            let day_str = parts[0]; // Handle the day part (e.g., "Twentieth")
            let day = words_to_number(&day_str.to_lowercase())? as u32;
            let month = month_name_to_int(parts[1])?; // Handle the month (e.g., "August")

            let year_str = parts[2..].join(" ");
            let year = words_to_number(&year_str.to_lowercase())? as i32;

            let parsed_date = NaiveDate::from_ymd_opt(year, month, day)?;
            let time = NaiveTime::from_hms_opt(0, 0, 0)?;
            let datetime = NaiveDateTime::new(parsed_date, time);

            Some(Utc.from_utc_datetime(&datetime).timestamp_millis())
        }

        // Default case: return None if the picture is not recognized
        _ => None,
    }
}

fn parse_day_str(day_str: &str) -> String {
    // Split the day string on hyphen, convert to lowercase, and join it back
    day_str
        .split('-')
        .map(|part| part.to_lowercase())
        .collect::<Vec<_>>()
        .join("-")
}

fn roman_to_int(s: &str) -> Option<i32> {
    let mut total = 0;
    let mut prev_value = 0;

    for c in s.chars().rev() {
        let value = match c {
            'I' => 1,
            'V' => 5,
            'X' => 10,
            'L' => 50,
            'C' => 100,
            'D' => 500,
            'M' => 1000,
            _ => return None, // Invalid Roman numeral
        };

        if value < prev_value {
            total -= value;
        } else {
            total += value;
        }

        prev_value = value;
    }

    Some(total)
}

pub fn roman_month_to_int(month_str: &str) -> Option<u32> {
    match month_str.to_uppercase().as_str() {
        "I" | "A" => Some(1),    // January (I or A for abbreviated January)
        "II" | "B" => Some(2),   // February (II or B for abbreviated February)
        "III" | "C" => Some(3),  // March (III or C for abbreviated March)
        "IV" | "D" => Some(4),   // April (IV or D for abbreviated April)
        "V" | "E" => Some(5),    // May (V or E for abbreviated May)
        "VI" | "F" => Some(6),   // June (VI or F for abbreviated June)
        "VII" | "G" => Some(7),  // July (VII or G for abbreviated July)
        "VIII" | "H" => Some(8), // August (VIII or H for abbreviated August)
        "IX" => Some(9),         // September (IX for abbreviated September)
        "X" | "J" => Some(10),   // October (X or J for abbreviated October)
        "XI" | "K" => Some(11),  // November (XI or K for abbreviated November)
        "XII" | "L" => Some(12), // December (XII or L for abbreviated December)
        _ => None,               // Unsupported month
    }
}

fn alphabetic_to_day(s: &str) -> Option<u32> {
    let chars: Vec<char> = s.chars().collect();

    if chars.len() == 1 {
        // Single-letter day (e.g., 'w' -> 23)
        let day = chars[0].to_ascii_lowercase() as u32 - 'a' as u32 + 1;
        return if day <= 31 { Some(day) } else { None };
    } else if chars.len() == 2 {
        // Two-letter day (e.g., 'ae')
        let first = chars[0].to_ascii_lowercase() as u32 - 'a' as u32 + 1;
        let second = chars[1].to_ascii_lowercase() as u32 - 'a' as u32 + 1;

        // Base-26 calculation for two-letter day
        let day = first * 26 + second;
        // Ensure the day is valid (1 to 31)
        return if day <= 31 { Some(day) } else { None };
    }

    None // Invalid day format
}

fn remove_day_suffix(day_str: &str) -> String {
    if day_str.ends_with("st") {
        day_str.trim_end_matches("st").to_string()
    } else if day_str.ends_with("nd") {
        day_str.trim_end_matches("nd").to_string()
    } else if day_str.ends_with("rd") {
        day_str.trim_end_matches("rd").to_string()
    } else if day_str.ends_with("th") {
        day_str.trim_end_matches("th").to_string()
    } else {
        day_str.to_string()
    }
}

fn remove_ordinal_suffix(day_str: &str) -> Option<u32> {
    let cleaned_day = day_str.trim_end_matches(|c: char| c.is_alphabetic());
    cleaned_day.parse::<u32>().ok()
}

fn month_name_to_int(month_str: &str) -> Option<u32> {
    match month_str.to_lowercase().as_str() {
        "january" => Some(1),
        "february" => Some(2),
        "march" => Some(3),
        "april" => Some(4),
        "may" => Some(5),
        "june" => Some(6),
        "july" => Some(7),
        "august" => Some(8),
        "september" => Some(9),
        "october" => Some(10),
        "november" => Some(11),
        "december" => Some(12),
        _ => None,
    }
}

fn abbreviated_month_to_int(month_str: &str) -> Option<u32> {
    match month_str.to_lowercase().as_str() {
        "jan" => Some(1),
        "feb" => Some(2),
        "mar" => Some(3),
        "apr" => Some(4),
        "may" => Some(5),
        "jun" => Some(6),
        "jul" => Some(7),
        "aug" => Some(8),
        "sep" => Some(9),
        "oct" => Some(10),
        "nov" => Some(11),
        "dec" => Some(12),
        _ => None,
    }
}

// Split the word string into tokens, handling hyphenated and punctuated numbers
fn words_to_number(word_str: &str) -> Option<i32> {
    let units = [
        ("zero", 0),
        ("one", 1),
        ("two", 2),
        ("three", 3),
        ("four", 4),
        ("five", 5),
        ("six", 6),
        ("seven", 7),
        ("eight", 8),
        ("nine", 9),
        ("ten", 10),
        ("eleven", 11),
        ("twelve", 12),
        ("thirteen", 13),
        ("fourteen", 14),
        ("fifteen", 15),
        ("sixteen", 16),
        ("seventeen", 17),
        ("eighteen", 18),
        ("nineteen", 19),
        // Ordinal units
        ("first", 1),
        ("second", 2),
        ("third", 3),
        ("fourth", 4),
        ("fifth", 5),
        ("sixth", 6),
        ("seventh", 7),
        ("eighth", 8),
        ("ninth", 9),
        ("tenth", 10),
        ("eleventh", 11),
        ("twelfth", 12),
        ("thirteenth", 13),
        ("fourteenth", 14),
        ("fifteenth", 15),
        ("sixteenth", 16),
        ("seventeenth", 17),
        ("eighteenth", 18),
        ("nineteenth", 19),
        ("twentieth", 20),
        ("twenty-first", 21),
        ("twenty-second", 22),
        ("twenty-third", 23),
        ("twenty-fourth", 24),
        ("twenty-fifth", 25),
        ("twenty-sixth", 26),
        ("twenty-seventh", 27),
        ("twenty-eighth", 28),
        ("twenty-ninth", 29),
        ("thirtieth", 30),
        ("thirty-first", 31),
    ];

    let tens = [
        ("twenty", 20),
        ("thirty", 30),
        ("forty", 40),
        ("fifty", 50),
        ("sixty", 60),
        ("seventy", 70),
        ("eighty", 80),
        ("ninety", 90),
    ];

    let scales = [("hundred", 100), ("thousand", 1000)];

    let mut result = 0;
    let mut current = 0;
    let mut last_ten = None;

    for word in word_str
        .replace(",", "")
        .to_lowercase() // Convert the input to lowercase
        .split_whitespace()
        .flat_map(|w| w.split('-'))
    {
        if word == "and" {
            continue;
        }

        // Check if it's a unit or ordinal unit
        if let Some(unit) = units.iter().find(|&&(w, _)| w == word).map(|(_, n)| n) {
            if let Some(ten) = last_ten {
                current += ten + unit;
                last_ten = None;
            } else {
                current += unit;
            }
        }
        // Check if it's a ten or ordinal ten
        else if let Some(ten) = tens.iter().find(|&&(w, _)| w == word).map(|(_, n)| n) {
            if let Some(ten_value) = last_ten {
                current += ten_value + ten;
            } else {
                last_ten = Some(ten);
            }
        }
        // Check if it's a scale (e.g., "hundred", "thousand")
        else if let Some(scale) = scales.iter().find(|&&(w, _)| w == word).map(|(_, n)| n) {
            if *scale == 100 {
                current *= scale;
            } else if *scale == 1000 {
                result += current * scale; // e.g., "two thousand" -> 2000
                current = 0; // Reset to accumulate further values (like "seventeen")
            }
        }
    }

    result += current;
    Some(result)
}

fn parse_custom_date(date_str: &str) -> Option<NaiveDateTime> {
    let parts: Vec<&str> = date_str.split_whitespace().collect();

    if parts.len() != 3 {
        return None;
    }

    // Split the date part into day, month, and year
    let date_parts: Vec<&str> = parts[0].split('/').collect();
    if date_parts.len() != 3 {
        return None;
    }

    let day: u32 = date_parts[0].parse().ok()?;
    let month: u32 = date_parts[1].parse().ok()?;
    let year: i32 = date_parts[2].parse().ok()?;

    // Split the time part into hours and minutes
    let time_parts: Vec<&str> = parts[1].split(':').collect();
    if time_parts.len() != 2 {
        return None;
    }

    let mut hour: u32 = time_parts[0].parse().ok()?;
    let minute: u32 = time_parts[1].parse().ok()?;

    let am_pm = parts[2].to_lowercase();
    if am_pm == "am" {
        if hour == 12 {
            hour = 0;
        }
    } else if am_pm == "pm" {
        if hour != 12 {
            hour += 12;
        }
    } else {
        return None;
    }

    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = NaiveTime::from_hms_opt(hour, minute, 0)?;
    Some(NaiveDateTime::new(date, time))
}

fn parse_ordinal_date(date_str: &str) -> Option<NaiveDateTime> {
    // Split the input based on the '-' separator
    let parts: Vec<&str> = date_str.split('-').collect();

    // Ensure we have exactly two parts: the year and the day of the year
    if parts.len() != 2 {
        return None;
    }

    // Parse the year (e.g., "2018")
    let year: i32 = parts[0].parse().ok()?;

    // Parse the day of the year (ordinal date, e.g., "094")
    let ordinal_day: u32 = parts[1].parse().ok()?;

    // Use from_yo_opt to create the date from the year and ordinal day
    let date = NaiveDate::from_yo_opt(year, ordinal_day)?;

    // Use 00:00:00 for the time portion
    let time = NaiveTime::from_hms_opt(0, 0, 0)?;

    Some(NaiveDateTime::new(date, time))
}

fn parse_custom_date_with_weekday(date_str: &str) -> Option<NaiveDateTime> {
    // Example input: "Wednesday, 14th November 2018"
    let parts: Vec<&str> = date_str
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|&x| !x.is_empty())
        .collect();

    // Ensure we have 4 parts: "Wednesday", "14th", "November", "2018"
    if parts.len() != 4 {
        return None;
    }

    // Parse the ordinal day (e.g., "14th" -> 14)
    let day_str = parts[1].trim_end_matches(|c: char| c.is_alphabetic());
    let day: u32 = day_str.parse().ok()?;

    // Parse the full month name (e.g., "November")
    let month = match parts[2].to_lowercase().as_str() {
        "january" => 1,
        "february" => 2,
        "march" => 3,
        "april" => 4,
        "may" => 5,
        "june" => 6,
        "july" => 7,
        "august" => 8,
        "september" => 9,
        "october" => 10,
        "november" => 11,
        "december" => 12,
        _ => return None, // Invalid month name
    };

    // Parse the year (e.g., "2018")
    let year: i32 = parts[3].parse().ok()?;

    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = NaiveTime::from_hms_opt(0, 0, 0)?;
    Some(NaiveDateTime::new(date, time))
}

fn parse_custom_date_with_weekday_and_ordinal(date_str: &str) -> Option<NaiveDateTime> {
    // Example input: "Mon, Twelfth November 2018"
    let parts: Vec<&str> = date_str
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|&x| !x.is_empty())
        .collect();

    // Ensure we have 4 parts: "Mon", "Twelfth", "November", "2018"
    if parts.len() != 4 {
        return None;
    }

    // Parse the ordinal day in words (e.g., "Twelfth")
    let day = words_to_number(parts[1])? as u32;

    // Parse the full month name (e.g., "November")
    let month = match parts[2].to_lowercase().as_str() {
        "january" => 1,
        "february" => 2,
        "march" => 3,
        "april" => 4,
        "may" => 5,
        "june" => 6,
        "july" => 7,
        "august" => 8,
        "september" => 9,
        "october" => 10,
        "november" => 11,
        "december" => 12,
        _ => return None, // Invalid month name
    };

    // Parse the year (e.g., "2018")
    let year: i32 = parts[3].parse().ok()?;

    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = NaiveTime::from_hms_opt(0, 0, 0)?;
    Some(NaiveDateTime::new(date, time))
}

fn parse_ordinal_day_of_year(date_str: &str) -> Option<NaiveDateTime> {
    // Example input: "three hundred and sixty-fifth day of 2018"
    let parts: Vec<&str> = date_str.split_whitespace().collect();

    // The input should follow the format: "[ordinal] day of [year]"
    if parts.len() < 5 {
        return None;
    }

    // Combine the first 3+ parts into the ordinal word (e.g., "three hundred and sixty-fifth")
    let ordinal_day_words = parts[..(parts.len() - 3)].join(" ");

    // Convert the ordinal day in words to a number
    let day_of_year = words_to_number(&ordinal_day_words)? as u32;

    // Parse the year (e.g., "2018")
    let year: i32 = parts.last()?.parse().ok()?;

    let parsed_date = NaiveDate::from_yo_opt(year, day_of_year)?;
    let time = NaiveTime::from_hms_opt(0, 0, 0)?;
    Some(NaiveDateTime::new(parsed_date, time))
}

fn parse_ordinal_date_with_dashes(date_str: &str) -> Option<NaiveDateTime> {
    // Example input: "2018--180"
    let parts: Vec<&str> = date_str.split("--").collect();

    // Ensure we have exactly two parts: the year and the day of the year
    if parts.len() != 2 {
        return None;
    }

    // Parse the year (e.g., "2018")
    let year: i32 = parts[0].parse().ok()?;

    // Parse the ordinal day of the year (e.g., "180")
    let ordinal_day: u32 = parts[1].parse().ok()?;

    // Use from_yo_opt to create the date from the year and ordinal day
    let date = NaiveDate::from_yo_opt(year, ordinal_day)?;

    // Use 00:00:00 for the time portion
    let time = NaiveTime::from_hms_opt(0, 0, 0)?;

    Some(NaiveDateTime::new(date, time))
}

fn parse_iso8601_date(date_str: &str) -> Option<i64> {
    if let Ok(datetime) = DateTime::parse_from_rfc3339(date_str) {
        Some(datetime.timestamp_millis())
    } else {
        None
    }
}

fn parse_iso8601_with_timezone(date_str: &str) -> Option<i64> {
    // Normalize the timezone format from "+0000" to "+00:00"
    let normalized_str = if date_str.ends_with("+0000") {
        date_str.replace("+0000", "+00:00")
    } else {
        date_str.to_string()
    };

    if let Ok(datetime) = DateTime::parse_from_rfc3339(&normalized_str) {
        // Convert the parsed datetime to milliseconds since the Unix Epoch
        Some(datetime.timestamp_millis())
    } else {
        None
    }
}

fn parse_date_only(date_str: &str) -> Option<i64> {
    if let Ok(naive_date) = NaiveDate::parse_from_str(date_str, "%Y-%m-%d") {
        if let Some(naive_datetime) = naive_date.and_hms_opt(0, 0, 0) {
            return Some(Utc.from_utc_datetime(&naive_datetime).timestamp_millis());
        }
    }
    None
}

fn parse_year_only(date_str: &str) -> Option<i64> {
    // Try parsing the string as a year (e.g., "2018")
    if let Ok(year) = date_str.parse::<i32>() {
        // Create a NaiveDate for January 1st of the given year
        if let Some(naive_date) = NaiveDate::from_ymd_opt(year, 1, 1) {
            // Set the time to 00:00:00
            if let Some(naive_datetime) = naive_date.and_hms_opt(0, 0, 0) {
                return Some(Utc.from_utc_datetime(&naive_datetime).timestamp_millis());
            }
        }
    }
    None
}

fn parse_ymd_date(timestamp_str: &str) -> Option<i64> {
    // Split the input timestamp by the '-' separator
    let parts: Vec<&str> = timestamp_str.split('-').collect();
    if parts.len() != 3 {
        return None; // Ensure the date format has exactly 3 parts (year, month, day)
    }

    let year: i32 = parts[0].parse().ok()?;
    let month: u32 = parts[1].parse().ok()?;
    let day: u32 = parts[2].parse().ok()?;

    if let Some(naive_date) = NaiveDate::from_ymd_opt(year, month, day) {
        // Set the time to 00:00:00 (midnight)
        if let Some(naive_datetime) = naive_date.and_hms_opt(0, 0, 0) {
            return Some(Utc.from_utc_datetime(&naive_datetime).timestamp_millis());
        }
    }
    None
}
