//! Selector parsing/summing and counter-rate behaviour.

// The arithmetic under test is exact on these small integers.
#![allow(clippy::float_cmp)]

use secretops::live::exposition::{ACCEPT, Format, Sample, Selector, format_for, parse};
use secretops::live::rate::{CounterRate, failure_ratio, increase};

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

#[test]
fn selector_parse_forms() {
    let s = Selector::parse("auth_requests_total").unwrap();
    assert_eq!(s.name, "auth_requests_total");
    assert!(s.labels.is_empty());

    let s = Selector::parse(r#" auth_requests_total{result="success", svc = "vault",} "#).unwrap();
    assert_eq!(s.labels, pairs(&[("result", "success"), ("svc", "vault")]));

    let s = Selector::parse(r#"x{a="q\"uo\\te\n"}"#).unwrap();
    assert_eq!(s.labels, pairs(&[("a", "q\"uo\\te\n")]));

    let s = Selector::parse(r#"{"my.metric", "a.b"="v"}"#).unwrap();
    assert_eq!(s.name, "my.metric");
    assert_eq!(s.labels, pairs(&[("a.b", "v")]));

    assert_eq!("up".parse::<Selector>().unwrap().name, "up");
}

#[test]
fn selector_parse_errors() {
    for bad in [
        "",
        "{}",
        "0abc",
        "a b",
        r#"a{b="c""#,
        r"a{b=c}",
        r#"a{b="c",b="d"}"#,
        r#"a{b="\t"}"#,
        r#"a{b="c"} junk"#,
        "a{{{{{{",
    ] {
        assert!(Selector::parse(bad).is_err(), "{bad:?} should not parse");
    }
}

fn scrape() -> Vec<Sample> {
    let body = b"# TYPE auth_requests_total counter\n\
auth_requests_total{result=\"success\",svc=\"a\"} 10\n\
auth_requests_total{result=\"success\",svc=\"b\"} 5\n\
auth_requests_total{result=\"failure\",svc=\"a\"} 2\n\
up 1\n";
    parse(body, Format::PrometheusText).expect("valid metrics")
}

#[test]
fn selector_matches_and_sums() {
    let samples = scrape();
    let ok = Selector::parse(r#"auth_requests_total{result="success"}"#).unwrap();
    assert_eq!(ok.sum(&samples), Some(15.0));
    let all = Selector::parse("auth_requests_total").unwrap();
    assert_eq!(all.sum(&samples), Some(17.0));
    let one = Selector::parse(r#"auth_requests_total{svc="a",result="failure"}"#).unwrap();
    assert_eq!(one.sum(&samples), Some(2.0));
    assert!(one.matches(&samples[2]));
    assert!(!one.matches(&samples[0]));
    // Absent series and wrong label values give None, not 0.
    assert_eq!(
        Selector::parse(r#"auth_requests_total{result="timeout"}"#)
            .unwrap()
            .sum(&samples),
        None
    );
    assert_eq!(
        Selector::parse("auth_requests").unwrap().sum(&samples),
        None
    );
    assert_eq!(Selector::parse("up").unwrap().sum(&[]), None);
}

#[test]
fn content_negotiation() {
    assert_eq!(format_for(None), Format::PrometheusText);
    assert_eq!(
        format_for(Some("text/plain; version=0.0.4; charset=utf-8")),
        Format::PrometheusText
    );
    assert_eq!(
        format_for(Some(
            "application/openmetrics-text; version=1.0.0; charset=utf-8"
        )),
        Format::OpenMetrics
    );
    assert_eq!(
        format_for(Some(" Application/OpenMetrics-Text ")),
        Format::OpenMetrics
    );
    assert_eq!(format_for(Some("application/json")), Format::PrometheusText);
    assert!(ACCEPT.starts_with("application/openmetrics-text;version=1.0.0"));
    assert!(ACCEPT.contains("text/plain;version=0.0.4;q=0.5"));
}

#[test]
fn increase_handles_resets() {
    assert_eq!(increase(10.0, 15.0), 5.0);
    assert_eq!(increase(10.0, 10.0), 0.0);
    assert_eq!(increase(10.0, 3.0), 3.0);
    assert!(increase(f64::NAN, 3.0).is_nan());
}

#[test]
fn counter_rate_new_series_has_no_rate() {
    let mut r = CounterRate::new();
    assert_eq!(r.rate_per_s(), None);
    r.feed(100.0, 50.0);
    assert_eq!(r.rate_per_s(), None);
    assert_eq!(r.last_value(), Some(50.0));
    r.feed(110.0, 70.0);
    assert_eq!(r.rate_per_s(), Some(2.0));
    r.feed(120.0, 70.0);
    assert_eq!(r.rate_per_s(), Some(0.0));
}

#[test]
fn counter_rate_reset() {
    let mut r = CounterRate::new();
    r.feed(0.0, 1000.0);
    r.feed(10.0, 30.0); // restarted: 30 counted since
    assert_eq!(r.rate_per_s(), Some(3.0));
    r.feed(20.0, 50.0);
    assert_eq!(r.rate_per_s(), Some(2.0));
}

#[test]
fn counter_rate_start_time_change_is_a_reset() {
    let mut r = CounterRate::new();
    r.feed_with_start(0.0, 10.0, Some(1.0));
    r.feed_with_start(10.0, 40.0, Some(5.0)); // restarted and already past 10
    assert_eq!(r.rate_per_s(), Some(4.0));
    r.feed_with_start(20.0, 60.0, Some(5.0));
    assert_eq!(r.rate_per_s(), Some(2.0));
}

#[test]
fn counter_rate_ignores_nan_and_bad_times() {
    let mut r = CounterRate::new();
    r.feed(0.0, f64::NAN);
    assert_eq!(r.last_value(), None);
    r.feed(0.0, 10.0);
    r.feed(5.0, f64::NAN);
    r.feed(6.0, f64::INFINITY);
    assert_eq!(r.rate_per_s(), None);
    r.feed(10.0, 20.0);
    assert_eq!(r.rate_per_s(), Some(1.0));
    r.feed(10.0, 99.0); // same instant: no interval, ignored
    r.feed(f64::NAN, 99.0);
    assert_eq!(r.rate_per_s(), Some(1.0));
    assert_eq!(r.last_value(), Some(20.0));
}

#[test]
fn failure_ratio_no_traffic() {
    assert_eq!(failure_ratio(0.0, 0.0), None);
    assert_eq!(failure_ratio(3.0, 1.0), Some(0.25));
    assert_eq!(failure_ratio(f64::NAN, 1.0), None);
}
