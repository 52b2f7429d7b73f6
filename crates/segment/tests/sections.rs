//! Section detection on documents written for these tests: nestings of every numbering style
//! and the guards against false headings.

use std::path::Path;
use std::sync::OnceLock;

use gongwen_entities::EntitiesConfig;
use gongwen_model::{slice_chars, CleanDoc, SegmentedDoc};
use gongwen_numbers::NumbersConfig;
use gongwen_segment::{SegmentConfig, Segmenter};

fn segmenter() -> &'static Segmenter {
    static SEGMENTER: OnceLock<Segmenter> = OnceLock::new();
    SEGMENTER.get_or_init(|| {
        Segmenter::build(
            &SegmentConfig::default(),
            &NumbersConfig::default(),
            &EntitiesConfig::default(),
            Path::new("."),
        )
        .expect("default segmenter builds")
    })
}

fn segment(paragraphs: &[&str]) -> SegmentedDoc {
    let doc = CleanDoc {
        paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
        ..Default::default()
    };
    segmenter().segment(doc)
}

/// (section_id, level, marker, heading) of every section.
fn outline(doc: &SegmentedDoc) -> Vec<(String, u32, String, String)> {
    doc.sections
        .iter()
        .map(|s| {
            (
                s.section_id.clone(),
                s.level,
                s.marker.clone(),
                s.heading.clone(),
            )
        })
        .collect()
}

fn row(id: &str, level: u32, marker: &str, heading: &str) -> (String, u32, String, String) {
    (
        id.to_string(),
        level,
        marker.to_string(),
        heading.to_string(),
    )
}

const BODY: &str = "各地各部门要高度重视，认真研究部署，确保各项任务按时完成。";

#[test]
fn three_levels_of_dun_paren_and_dot() {
    let doc = segment(&[
        "同志们：",
        "今天召开全县农业农村工作会议，主要任务是总结去年工作，部署今年任务。",
        "一、去年工作回顾",
        BODY,
        "（一）粮食生产再获丰收。全年粮食总产量稳定在较高水平。",
        "1.种植面积稳中有增。",
        BODY,
        "2.单产水平明显提高。",
        BODY,
        "（二）农民收入持续增长。农村居民人均可支配收入增长较快。",
        "二、今年重点任务",
        "（一）抓好粮食安全。",
        BODY,
        "1.稳定播种面积。",
        BODY,
        "2.加强高标准农田建设。",
        BODY,
        "同志们，让我们携手奋进！",
    ]);
    assert_eq!(
        outline(&doc),
        vec![
            row("1", 1, "一、", "去年工作回顾"),
            row("1.1", 2, "（一）", "粮食生产再获丰收"),
            row("1.1.1", 3, "1.", "种植面积稳中有增"),
            row("1.1.2", 3, "2.", "单产水平明显提高"),
            row("1.2", 2, "（二）", "农民收入持续增长"),
            row("2", 1, "二、", "今年重点任务"),
            row("2.1", 2, "（一）", "抓好粮食安全"),
            row("2.1.1", 3, "1.", "稳定播种面积"),
            row("2.1.2", 3, "2.", "加强高标准农田建设"),
        ]
    );
    let parents: Vec<Option<&str>> = doc
        .sections
        .iter()
        .map(|s| s.parent_id.as_deref())
        .collect();
    assert_eq!(
        parents,
        vec![
            None,
            Some("1"),
            Some("1.1"),
            Some("1.1"),
            Some("1"),
            None,
            Some("2"),
            Some("2.1"),
            Some("2.1")
        ]
    );
    // Spans: from the marker to just before the next sibling or ancestor sibling.
    let text = doc.doc.text();
    let first = &doc.sections[0];
    assert!(slice_chars(&text, first.span).starts_with("一、去年工作回顾"));
    assert!(slice_chars(&text, first.span).ends_with("农村居民人均可支配收入增长较快。"));
    assert!(slice_chars(&text, doc.sections[8].span).ends_with("同志们，让我们携手奋进！"));
    // Paragraphs and sentences know their innermost section.
    assert_eq!(doc.paragraphs[1].section_id, None);
    assert_eq!(doc.paragraphs[6].section_id.as_deref(), Some("1.1.1"));
    assert_eq!(doc.paragraphs[9].section_id.as_deref(), Some("1.2"));
    let last_sentence = doc.sentences.last().map(|s| s.section_id.clone());
    assert_eq!(last_sentence, Some(Some("2.1.2".to_string())));
}

#[test]
fn yao_and_shi_nest_inside_dun() {
    let doc = segment(&[
        "这次会议很重要。下面，我讲两点意见。",
        "一、提高认识，增强推进乡村振兴的责任感",
        "当前形势很好。一是政策机遇难得。中央出台了一系列政策。二是发展基础扎实。近年来我们打下了良好基础。",
        "二、突出重点，全力抓好各项任务落实",
        "一要抓产业。产业是基础。一是做强特色种植。要因地制宜发展特色作物。二是做优农产品加工。要延长链条。",
        "二要抓改革。要深化农村集体产权制度改革，激发农村发展活力。",
        "一是推进土地流转。二是发展新型经营主体。",
        "三要抓党建。要建强基层党组织。",
    ]);
    assert_eq!(
        outline(&doc),
        vec![
            row("1", 1, "一、", "提高认识，增强推进乡村振兴的责任感"),
            row("1.1", 2, "一是", "政策机遇难得"),
            row("1.2", 2, "二是", "发展基础扎实"),
            row("2", 1, "二、", "突出重点，全力抓好各项任务落实"),
            row("2.1", 2, "一要", "抓产业"),
            row("2.1.1", 3, "一是", "做强特色种植"),
            row("2.1.2", 3, "二是", "做优农产品加工"),
            row("2.2", 2, "二要", "抓改革"),
            row("2.2.1", 3, "一是", "推进土地流转"),
            row("2.2.2", 3, "二是", "发展新型经营主体"),
            row("2.3", 2, "三要", "抓党建"),
        ]
    );
    // An in-paragraph section starts at its marker, in the middle of the paragraph.
    let text = doc.doc.text();
    assert!(slice_chars(&text, doc.sections[1].span).starts_with("一是政策机遇难得。"));
    assert!(slice_chars(&text, doc.sections[1].span).ends_with("中央出台了一系列政策。"));
}

#[test]
fn di_points_are_level_two_under_dun_and_level_one_alone() {
    let doc = segment(&[
        "一、关于经济工作",
        "第一，稳住工业基本盘。工业是立市之本。第二，扩大有效投资。投资是关键变量。",
        "第二，这一条重复了编号。要继续抓好。",
        "第四，跳过了第三。也要保留。",
        "二、关于民生工作",
        "第一，办好民生实事。要把好事办实。",
        "第二，守牢安全底线。要压实责任。",
    ]);
    assert_eq!(
        outline(&doc),
        vec![
            row("1", 1, "一、", "关于经济工作"),
            row("1.1", 2, "第一，", "稳住工业基本盘"),
            row("1.2", 2, "第二，", "扩大有效投资"),
            row("1.3", 2, "第二，", "这一条重复了编号"),
            row("1.4", 2, "第四，", "跳过了第三"),
            row("2", 1, "二、", "关于民生工作"),
            row("2.1", 2, "第一，", "办好民生实事"),
            row("2.2", 2, "第二，", "守牢安全底线"),
        ]
    );
    let ordinals: Vec<Option<u32>> = doc.sections.iter().map(|s| s.ordinal).collect();
    assert_eq!(
        ordinals,
        vec![
            Some(1),
            Some(1),
            Some(2),
            Some(2),
            Some(4),
            Some(2),
            Some(1),
            Some(2)
        ]
    );

    let alone = segment(&[
        "第一，要提高站位。这是前提。",
        "第二，要压实责任。这是关键。",
    ]);
    assert_eq!(
        outline(&alone),
        vec![
            row("1", 1, "第一，", "要提高站位"),
            row("2", 1, "第二，", "要压实责任")
        ]
    );
}

#[test]
fn report_with_parts() {
    let doc = segment(&[
        "各位代表：",
        "现在，我代表市人民政府，向大会报告工作，请予审议。",
        "第一部分 过去五年工作回顾",
        "五年来，全市经济实力大幅提升。",
        "一、经济发展质量稳步提高",
        BODY,
        "二、改革开放持续深化",
        BODY,
        "第二部分 今后五年目标任务",
        "今后五年是关键时期。",
        "一、加快建设现代化产业体系",
        BODY,
        "二、全面推进乡村振兴",
        BODY,
    ]);
    assert_eq!(
        outline(&doc),
        vec![
            row("1", 1, "第一部分", "过去五年工作回顾"),
            row("1.1", 2, "一、", "经济发展质量稳步提高"),
            row("1.2", 2, "二、", "改革开放持续深化"),
            row("2", 1, "第二部分", "今后五年目标任务"),
            row("2.1", 2, "一、", "加快建设现代化产业体系"),
            row("2.2", 2, "二、", "全面推进乡村振兴"),
        ]
    );
}

#[test]
fn news_with_subheadings_standing_alone_or_glued() {
    let doc = segment(&[
        "本报讯 近日，全省文旅融合发展大会在海滨市召开，与会代表反响热烈。",
        "聚焦融合 擦亮文旅名片",
        "“大会为我们指明了方向。”县文旅局局长表示，将加快打造精品线路。",
        "景区负责人说，要提升服务品质，让游客玩得开心。绿色发展 守护碧水蓝天",
        "环保志愿者表示，要从身边小事做起，守护好家乡的山和水。",
        "■ 数字赋能 激活消费潜力",
        "多家企业负责人认为，数字技术为文旅消费带来新机遇。",
        "（完）",
    ]);
    assert_eq!(
        outline(&doc),
        vec![
            row("1", 1, "", "聚焦融合 擦亮文旅名片"),
            row("2", 1, "", "绿色发展 守护碧水蓝天"),
            row("3", 1, "", "数字赋能 激活消费潜力"),
        ]
    );
    let text = doc.doc.text();
    assert!(
        slice_chars(&text, doc.sections[1].span).starts_with("绿色发展 守护碧水蓝天\n环保志愿者")
    );
}

#[test]
fn a_single_short_line_or_a_byline_is_not_a_subheading() {
    let doc = segment(&[
        "本报讯 昨天，市委召开常委会议，研究部署近期重点工作。",
        "记者 王小明 通讯员 李华",
        "会议强调，要抓好各项工作落实。",
        "撸起袖子加油干",
        "会议要求，各级各部门要担当作为。",
    ]);
    assert_eq!(outline(&doc), vec![]);
}

#[test]
fn lists_and_guards_are_not_sections() {
    let doc = segment(&[
        "会议通报了获奖名单，具体如下：",
        "1.城东街道",
        "2.城西街道",
        "3.高新区管委会",
        "1、2月份，全市规上工业增加值增长5.2%。",
        "2020.12，我市获评全国文明城市。",
        "1.5亿元专项资金已全部拨付到位。",
        "一、二季度经济运行总体平稳。",
        "——我们坚持稳中求进，经济运行稳步回升。",
        "——我们坚持改革创新，发展活力持续增强。",
        "他强调：“一是要讲政治。二是要顾大局。”大家深受鼓舞。",
        "做好工作，一是靠学习，二是靠实践。",
        "首先，我代表市委向大家表示感谢。最后，祝大家工作顺利。",
        "大抓工业，首先要大抓龙头企业。",
        "这次大会的第1页到第3页已印发。",
        "2023年是全面贯彻党的二十大精神的开局之年。",
    ]);
    assert_eq!(outline(&doc), vec![]);
}

#[test]
fn enumeration_words_count_after_a_colon_or_semicolon() {
    let doc = segment(&[
        "今年要重点抓好三件事：一是稳增长；二是促改革；三是惠民生。",
        "首先，要统一思想。思想是行动的先导。其次，要明确目标。目标是前进的方向。再次，要强化措施。最后，要狠抓落实。",
    ]);
    assert_eq!(
        outline(&doc),
        vec![
            row("1", 1, "一是", "稳增长"),
            row("2", 1, "二是", "促改革"),
            row("3", 1, "三是", "惠民生"),
            row("4", 1, "首先，", "要统一思想"),
            row("5", 1, "其次，", "要明确目标"),
            row("6", 1, "再次，", "要强化措施"),
            row("7", 1, "最后，", "要狠抓落实"),
        ]
    );
    let ordinals: Vec<Option<u32>> = doc.sections.iter().map(|s| s.ordinal).collect();
    assert_eq!(
        ordinals,
        vec![Some(1), Some(2), Some(3), Some(1), Some(2), Some(3), None]
    );
}

#[test]
fn inline_enumeration_before_the_first_heading_does_not_swallow_it() {
    let doc = segment(&[
        "过去一年成绩来之不易。一是经济稳中有进。二是民生持续改善。",
        "一、总体要求",
        BODY,
        "二、主要任务",
        BODY,
    ]);
    let levels: Vec<(String, u32)> = doc
        .sections
        .iter()
        .map(|s| (s.marker.clone(), s.level))
        .collect();
    assert_eq!(
        levels,
        vec![
            ("一是".into(), 1),
            ("二是".into(), 1),
            ("一、".into(), 1),
            ("二、".into(), 1)
        ]
    );
}

#[test]
fn arabic_and_circled_styles_nest_by_appearance() {
    let doc = segment(&[
        "1、项目建设",
        "（1）新开工项目。今年计划新开工项目较多。",
        "① 工业项目。要加快推进。",
        "② 民生项目。要确保质量。",
        "（2）续建项目。要加快进度。",
        "2、招商引资",
        BODY,
    ]);
    assert_eq!(
        outline(&doc),
        vec![
            row("1", 1, "1、", "项目建设"),
            row("1.1", 2, "（1）", "新开工项目"),
            row("1.1.1", 3, "①", "工业项目"),
            row("1.1.2", 3, "②", "民生项目"),
            row("1.2", 2, "（2）", "续建项目"),
            row("2", 1, "2、", "招商引资"),
        ]
    );
}

#[test]
fn table_of_contents_is_a_list_but_the_body_headings_count() {
    let doc = segment(&[
        "目录",
        "一、指导思想",
        "二、工作目标",
        "三、保障措施",
        "一、指导思想",
        "坚持以人民为中心的发展思想，统筹发展和安全。",
        "二、工作目标",
        "到年底，主要指标达到预期。",
        "三、保障措施",
        "加强组织领导，强化督导考核。",
    ]);
    let ids: Vec<(String, String)> = doc
        .sections
        .iter()
        .map(|s| (s.section_id.clone(), s.heading.clone()))
        .collect();
    assert_eq!(
        ids,
        vec![
            ("1".into(), "指导思想".into()),
            ("2".into(), "工作目标".into()),
            ("3".into(), "保障措施".into())
        ]
    );
    assert_eq!(doc.sections[0].span.start, doc.paragraphs[4].span.start);
}

#[test]
fn truncated_teasers_and_comma_clauses_are_not_glued_subheadings() {
    let doc = segment(&[
        "本报讯 全市春季植树活动昨日启动，各界群众踊跃参加。",
        "植树护绿 共建美丽家园",
        "活动现场，志愿者们挥锹铲土，干劲十足。",
        "绿色低碳 倡导文明新风",
        "市民纷纷表示，要从自身做起。或许某个瞬间触动了您，让您心潮...",
        "编者按：欢迎读者来稿，讲述身边的绿色故事。",
        "活动持续一周。记者说，各单位将，持续推进",
        "各单位将认真落实活动要求。",
    ]);
    let headings: Vec<&str> = doc.sections.iter().map(|s| s.heading.as_str()).collect();
    assert_eq!(
        headings,
        vec!["植树护绿 共建美丽家园", "绿色低碳 倡导文明新风"]
    );
}
