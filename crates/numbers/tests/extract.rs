//! Extraction on sentences of our own making (other cities, other indicators).

use gongwen_model::{NumberKind, NumberMention};
use gongwen_numbers::NumberExtractor;

fn ex(s: &str) -> Vec<NumberMention> {
    NumberExtractor::builtin()
        .unwrap_or_else(|e| panic!("{e}"))
        .extract(s)
}

fn texts(s: &str) -> Vec<String> {
    ex(s).into_iter().map(|m| m.text).collect()
}

fn one(s: &str, text: &str) -> NumberMention {
    ex(s)
        .into_iter()
        .find(|m| m.text == text)
        .unwrap_or_else(|| panic!("{text:?} not found in {:?}", texts(s)))
}

#[test]
fn money_folds_magnitudes_and_keeps_the_currency() {
    let m = one(
        "绵阳市实现地区生产总值1.25万亿元，同比增长6.1%。",
        "1.25万亿元",
    );
    assert_eq!(
        (m.kind, m.value, m.unit.as_deref()),
        (NumberKind::Money, Some(1.25e12), Some("元"))
    );
    assert_eq!(m.subject.as_deref(), Some("地区生产总值"));
    let m = one("外贸出口突破3.6亿美元", "3.6亿美元");
    assert_eq!((m.value, m.unit.as_deref()), (Some(3.6e8), Some("美元")));
    let m = one("人均可支配收入超4万元", "4万元");
    assert_eq!(
        (m.value, m.qualifier.as_deref()),
        (Some(40000.0), Some("超"))
    );
}

#[test]
fn subject_is_the_indicator_before_the_verb() {
    let m = one("全县粮食总产量达到52.6万吨，创历史新高。", "52.6万吨");
    assert_eq!(
        (m.kind, m.value, m.unit.as_deref()),
        (NumberKind::Measure, Some(526000.0), Some("吨"))
    );
    assert_eq!(m.subject.as_deref(), Some("全县粮食总产量"));
    let m = one(
        "其中，我县规上工业利润总额占全市比重由5.2%提高到7.9%。",
        "7.9%",
    );
    assert_eq!(m.subject.as_deref(), Some("规上工业利润总额占全市比重"));
    let m = one("研发投入强度高于全省平均1.3个百分点", "1.3个百分点");
    assert_eq!(m.subject.as_deref(), Some("研发投入强度"));
    let m = one("今年新增高新技术企业135家", "135家");
    assert_eq!(m.subject.as_deref(), Some("高新技术企业"));
    let m = one("城镇居民人均可支配收入增长5.8%", "5.8%");
    assert_eq!(m.subject.as_deref(), Some("城镇居民人均可支配收入"));
    assert_eq!(one("2019年，全市新开工项目", "2019年").subject, None);
}

#[test]
fn percents_points_and_multiples() {
    let m = one("比上年提高百分之六点五", "百分之六点五");
    assert_eq!((m.kind, m.value), (NumberKind::Percent, Some(6.5)));
    let m = one("研发投入强度高于全省平均近1.3个百分点", "1.3个百分点");
    assert_eq!(
        (m.kind, m.unit.as_deref(), m.qualifier.as_deref()),
        (NumberKind::PercentPoint, Some("百分点"), Some("近"))
    );
    let m = one("力争5年内全市高新技术企业数量翻两番", "翻两番");
    assert_eq!(
        (m.kind, m.value, m.unit.as_deref()),
        (NumberKind::Multiple, Some(4.0), Some("倍"))
    );
    assert_eq!(one("出口额增长2倍", "2倍").value, Some(2.0));
    assert_eq!(
        one("约三分之一的资金用于民生", "三分之一")
            .value
            .map(|v| (v * 1000.0).round()),
        Some(333.0)
    );
}

#[test]
fn dates_years_periods_and_ranges() {
    let m = one("会议于2024年3月15日在宜宾召开", "2024年3月15日");
    assert_eq!(
        (m.kind, m.iso.as_deref()),
        (NumberKind::Date, Some("2024-03-15"))
    );
    assert_eq!(
        one("9月20日上午", "9月20日").iso.as_deref(),
        Some("--09-20")
    );
    assert_eq!(one("截至10月末", "10月").iso.as_deref(), Some("--10"));
    assert_eq!(
        one("发布日期：2022-11-03", "2022-11-03").iso.as_deref(),
        Some("2022-11-03")
    );
    let m = one("2019年，全市新开工项目", "2019年");
    assert_eq!((m.kind, m.value), (NumberKind::Year, Some(2019.0)));
    assert_eq!(one("2021年度考核", "2021年度").kind, NumberKind::Year);
    let m = one("今年1－8月份，全区招商到位资金", "1－8月份");
    assert_eq!(
        (m.kind, m.low, m.high, m.unit.as_deref()),
        (NumberKind::Period, Some(1.0), Some(8.0), Some("月"))
    );
    let m = one("用2到3年时间建成", "2到3年");
    assert_eq!(
        (m.kind, m.low, m.high),
        (NumberKind::Duration, Some(2.0), Some(3.0))
    );
    let m = one("历时3到5个月", "3到5个月");
    assert_eq!(
        (m.low, m.high, m.unit.as_deref()),
        (Some(3.0), Some(5.0), Some("月"))
    );
}

#[test]
fn counts_ranks_and_qualifiers() {
    let m = one("新增就业1.2万余人", "1.2万余人");
    assert_eq!(
        (m.kind, m.value, m.qualifier.as_deref()),
        (NumberKind::Count, Some(12000.0), Some("余"))
    );
    let m = one("抽调约200名干部下沉一线", "200名");
    assert_eq!(m.qualifier.as_deref(), Some("约"));
    let m = one("营商环境评价居全省第3位", "第3位");
    assert_eq!(
        (m.kind, m.value, m.unit.as_deref()),
        (NumberKind::Rank, Some(3.0), Some("位"))
    );
    assert_eq!(one("引进世界500强企业", "500强").kind, NumberKind::Rank);
    assert_eq!(
        one("建有60多年历史的老厂", "60多年").qualifier.as_deref(),
        Some("多")
    );
    assert_eq!(
        one("用5年左右时间", "5年").qualifier.as_deref(),
        Some("左右")
    );
    assert_eq!(one("全省共有1,286个行政村", "1,286个").value, Some(1286.0));
    assert_eq!(one("开展七个专项行动", "七个").value, Some(7.0));
    assert_eq!(one("二十万产业工人", "二十万").value, Some(200000.0));
}

#[test]
fn placeholders_keep_kind_and_unit_without_value() {
    let m = one("累计投入X亿元", "X亿元");
    assert_eq!(
        (m.kind, m.value, m.unit.as_deref(), m.redacted),
        (NumberKind::Money, None, Some("元"), true)
    );
    let m = one("带动X万人以上就业", "X万人");
    assert_eq!(
        (m.kind, m.qualifier.as_deref()),
        (NumberKind::Count, Some("以上"))
    );
    assert_eq!(one("压减X%", "X%").kind, NumberKind::Percent);
    // X standing for a name is no number.
    assert!(texts("把X项目建成X集团的标杆，让X人更幸福").is_empty());
}

#[test]
fn words_that_are_not_numbers() {
    assert!(texts("一批项目落地，一项一项抓落实，是一项系统工程").is_empty());
    assert!(texts("坚持一代人接着一代人干，千方百计稳增长").is_empty());
    assert!(texts("实施“十大工程”，落实“三个一”机制，做好“六稳”工作").is_empty());
    assert!(texts("一是强化统筹；二要压实责任；第一，抓好项目").is_empty());
    assert!(texts("全面落实中央八项规定精神，信心百倍").is_empty());
    assert_eq!(texts("全市只有一家企业上榜"), vec!["一家".to_string()]);
    let names = ex("推进5G网络和“4+2”产业体系建设");
    assert!(
        names.iter().all(|m| m.kind == NumberKind::Name),
        "{names:?}"
    );
    // Quoted speech is not a name: its numbers count.
    assert_eq!(
        texts("他说：“今年要新建九个产业园区，确保完成各项任务。”"),
        vec!["九个".to_string()]
    );
}

#[test]
fn spans_slice_back_to_the_text() {
    let s = "２０２３年，全市ＧＤＰ增长５．２％，新增市场主体１２万户。";
    for m in ex(s) {
        let sliced: String = s.chars().skip(m.span.start).take(m.span.len()).collect();
        assert_eq!(sliced, m.text);
    }
    assert_eq!(one(s, "５．２％").value, Some(5.2));
}
