//! Pages of our own making (other sites, other layouts) — not copies of the samples.

use std::path::Path;

use gongwen_clean::{CleanConfig, Cleaner, DocMillMode};
use gongwen_model::{CleanDoc, DocType, PageMeta, RawDoc, Script};

fn cleaner() -> Cleaner {
    Cleaner::build(&CleanConfig::default(), Path::new(".")).expect("default config builds")
}

fn clean_with(c: &Cleaner, text: &str, meta: PageMeta) -> CleanDoc {
    c.clean(RawDoc {
        text: text.to_string(),
        meta,
        ..Default::default()
    })
    .expect("something left")
}

fn clean(text: &str) -> CleanDoc {
    clean_with(&cleaner(), text, PageMeta::default())
}

fn body(doc: &CleanDoc) -> String {
    doc.paragraphs.join("\n")
}

fn assert_idempotent(c: &Cleaner, doc: &CleanDoc) {
    let again = clean_with(c, &body(doc), PageMeta::default());
    assert_eq!(
        again.paragraphs, doc.paragraphs,
        "second pass changed the paragraphs"
    );
}

const NEWS_PAGE: &str = "\
网站首页 | 时政要闻 | 区县动态 | 图片新闻 | 专题专栏 | 视频
您的位置：首页 > 新闻中心 > 区县动态
南湖区召开2024年乡村振兴重点项目推进会
发布时间：2024-03-12 09:30  来源：嘉禾日报  作者：王晓东  浏览次数：1024
【字号 大 中 小】【打印】【关闭】
本报讯（记者 陈思远 通讯员 赵一鸣）3月11日下午，南湖区召开2024年乡村振兴重点项目推进会，总结去年工作，部署今年任务。
会议指出，去年全区共实施乡村振兴项目56个，完成投资18.6亿元，村级集体经济收入全部超过50万元。
会议强调，各镇街要对照年度目标，倒排工期、挂图作战，确保项目早开工、早见效。
责任编辑：李青
上一篇：北湖街道开展春季植树活动
下一篇：南湖区举办第三届农民丰收节
相关新闻
南湖区召开2023年乡村振兴工作会议
全区农村人居环境整治现场会召开
版权所有：嘉禾市融媒体中心  浙ICP备12345678号-2  浙公网安备33040202000123号
";

#[test]
fn news_page_with_editor_line_and_prev_next_links() {
    let c = cleaner();
    let doc = clean_with(&c, NEWS_PAGE, PageMeta::default());
    let b = body(&doc);
    assert!(
        b.starts_with("本报讯（记者 陈思远 通讯员 赵一鸣）3月11日下午"),
        "{b}"
    );
    assert!(b.ends_with("确保项目早开工、早见效。"), "{b}");
    for junk in [
        "网站首页",
        "您的位置",
        "发布时间",
        "字号",
        "责任编辑",
        "上一篇",
        "下一篇",
        "相关新闻",
        "ICP",
        "版权所有",
    ] {
        assert!(!b.contains(junk), "leaked {junk}: {b}");
    }
    assert_eq!(
        doc.title.as_deref(),
        Some("南湖区召开2024年乡村振兴重点项目推进会")
    );
    assert_eq!(doc.date.as_deref(), Some("2024-03-12"));
    assert_eq!(doc.publisher.as_deref(), Some("嘉禾日报"));
    assert_eq!(doc.doc_type, DocType::News);
    assert_eq!(doc.paragraphs.len(), 3);
    assert!(doc.stats.lines_dropped >= 10);
    assert_idempotent(&c, &doc);
}

const DOC_MILL_PAGE: &str = "\
县长在全县安全生产工作会议上的讲话稿（通用3篇）_
上传者：bai**** 文档编号：88812345 上传时间：2023-06-02 格式：DOC 页数：4 大小：25KB
收藏 下载 举报 分享
文档预览
同志们：
今天我们召开全县安全生产工作会议，主要任务是分析当前安全生产形势，部署下一阶段重点工作。
一、清醒认识当前安全生产面临旳严峻形势
去年以来，全县安全生产形势总体平稳，但事故隐患依然存在，个别行业领域风险…
展开阅读全文
县长在全县安全生产工作会议上的讲话
（2023年5月30日）
同志们：
今天我们召开全县安全生产工作会议，主要任务是分析当前安全生产形势，部署下一阶段重点工作。
一、清醒认识当前安全生产面临旳严峻形势
去年以来，全县安全生产形势总体平稳，但事故隐患依然存在，个别行业领域风险仍然较高，我们必须保持清醒头脑。
二、突出重点，全面排查整治各类隐患
各乡镇、各部门要以道路交通、危险化学品、建筑施工为重点，开展拉网式排查，做到不留死角。
同志们，安全生产责任重于泰山，让我们以更加扎实的作风，确保全县安全生产形势持续稳定！
相关文档
县长在安全生产会议上的讲话
最新文档
客服QQ：40012345  版权所有 © 2016-2024 好文库网
";

#[test]
fn doc_mill_page_with_preview_keeps_one_copy() {
    let c = cleaner();
    let doc = clean_with(&c, DOC_MILL_PAGE, PageMeta::default());
    let b = body(&doc);
    assert!(b.starts_with("同志们："), "{b}");
    assert!(b.ends_with("确保全县安全生产形势持续稳定！"), "{b}");
    assert_eq!(
        b.matches("今天我们召开全县安全生产工作会议").count(),
        1,
        "{b}"
    );
    assert_eq!(b.matches("同志们：").count(), 1, "{b}");
    assert_eq!(b.matches("一、清醒认识").count(), 1, "{b}");
    assert!(!b.contains("风险…"), "truncated preview kept: {b}");
    for junk in [
        "上传者",
        "文档编号",
        "收藏 下载",
        "展开阅读全文",
        "相关文档",
        "客服QQ",
        "版权所有",
        "2023年5月30日",
    ] {
        assert!(!b.contains(junk), "leaked {junk}: {b}");
    }
    assert_eq!(
        doc.title.as_deref(),
        Some("县长在全县安全生产工作会议上的讲话")
    );
    assert_eq!(
        doc.date.as_deref(),
        Some("2023-05-30"),
        "the dateline beats the upload time"
    );
    assert_eq!(doc.publisher.as_deref(), Some("好文库网"));
    assert_eq!(doc.doc_type, DocType::Speech);
    assert_eq!(
        doc.stats.doc_mill_chars, 1,
        "旳 counted once, in the kept copy"
    );
    assert!(b.contains("旳"), "count mode keeps the character");
    assert_idempotent(&c, &doc);

    let repair = Cleaner::build(
        &CleanConfig {
            doc_mill: DocMillMode::Repair,
            ..Default::default()
        },
        Path::new("."),
    )
    .expect("builds");
    let fixed = clean_with(&repair, DOC_MILL_PAGE, PageMeta::default());
    assert!(body(&fixed).contains("面临的严峻形势"));
    assert_eq!(
        body(&fixed).chars().count(),
        b.chars().count(),
        "repair is 1:1"
    );
}

const HOT_LIST_PAGE: &str = "\
热点排行
1 全省一季度经济运行情况发布
2 省政府召开常务会议
3 春季高考报名今日开始
4 高速公路清明期间免费通行
图片新闻
西江市政府网
市政府常务会议研究部署城市更新工作
时间：2024年4月2日 16:20:11
4月1日，市长张立新主持召开市政府常务会议，研究部署城市更新工作。会议听取了全市老旧小区改造进展情况汇报。
会议指出，城市更新是推动城市高质量发展的重要抓手，要坚持规划引领，统筹地上地下，完善公共服务设施。
会议要求，各区、各部门要压实责任、加强协同，确保年内完成改造小区120个、惠及居民3.2万户。
扫一扫在手机打开当前页
";

#[test]
fn page_with_a_hot_list_column_before_the_article() {
    let c = cleaner();
    let doc = clean_with(&c, HOT_LIST_PAGE, PageMeta::default());
    let b = body(&doc);
    assert!(b.starts_with("4月1日，市长张立新主持召开"), "{b}");
    assert!(b.ends_with("惠及居民3.2万户。"), "{b}");
    for junk in [
        "热点排行",
        "全省一季度",
        "高速公路清明",
        "图片新闻",
        "扫一扫",
        "时间：",
    ] {
        assert!(!b.contains(junk), "leaked {junk}: {b}");
    }
    assert_eq!(
        doc.title.as_deref(),
        Some("市政府常务会议研究部署城市更新工作")
    );
    assert_eq!(doc.date.as_deref(), Some("2024-04-02"));
    assert_idempotent(&c, &doc);
}

#[test]
fn traditional_page_with_meta_and_speaker_byline() {
    let c = cleaner();
    let text = "\
在全縣經濟工作會議上的講話
縣委書記 林建國
（二〇二四年一月十五日）
同志們：
這次會議的主要任務是，總結去年經濟工作，分析當前經濟形勢，部署今年經濟工作。
一、去年經濟工作取得新成效
去年以來，全縣上下團結奮鬥，地區生產總值增長６．５％，規模以上工業增加值增長８％。
";
    let meta = PageMeta {
        title: Some("在全縣經濟工作會議上的講話 - 東山縣人民政府".into()),
        ..Default::default()
    };
    let doc = clean_with(&c, text, meta);
    assert_eq!(doc.script, Script::Traditional);
    assert!(doc.stats.chars_converted > 20);
    assert!(doc.stats.chars_width_folded >= 3);
    let b = body(&doc);
    assert!(b.starts_with("同志们：\n这次会议的主要任务是"), "{b}");
    assert!(
        b.contains("地区生产总值增长6．5％"),
        "digits folded, punctuation kept: {b}"
    );
    assert_eq!(doc.title.as_deref(), Some("在全县经济工作会议上的讲话"));
    assert_eq!(doc.date.as_deref(), Some("2024-01-15"));
    assert_eq!(doc.speaker.as_deref(), Some("林建国"));
    assert_eq!(doc.doc_type, DocType::Speech);
    assert_eq!(
        doc.publisher.as_deref(),
        Some("东山县人民政府"),
        "site from the page title"
    );
    assert_idempotent(&c, &doc);
}

#[test]
fn one_line_speech_is_split_into_paragraphs() {
    let text = "在全镇农业工作会议上的讲话 （2022年3月8日） 同志们： 今天召开全镇农业工作会议，主要是总结去年工作，部署今年任务。刚才，几位同志作了很好的发言，我完全同意。 一、去年农业工作成效明显 去年全镇粮食总产量达到3.2万吨，比上年增长5%，农民人均可支配收入增长7%。 （一）粮食生产稳中有升。全镇完成粮食播种面积8万亩。我 们将继续抓好高标准农田建设。 二、今年重点抓好三项工作 要坚持稳字当头，抓好春耕备耕，确保粮食播种面积只增不减，全力推动全镇农业高质量发展。";
    let doc = clean(text);
    assert_eq!(
        doc.paragraphs
            .iter()
            .map(|p| p.chars().take(6).collect::<String>())
            .collect::<Vec<_>>(),
        [
            "同志们：",
            "今天召开全镇",
            "一、去年农业",
            "去年全镇粮食",
            "（一）粮食生",
            "二、今年重点",
            "要坚持稳字当"
        ]
    );
    assert_eq!(doc.title.as_deref(), Some("在全镇农业工作会议上的讲话"));
    assert_eq!(doc.date.as_deref(), Some("2022-03-08"));
    assert!(doc
        .paragraphs
        .iter()
        .all(|p| !p.contains('\n') && !p.is_empty()));
}

#[test]
fn glued_subheading_and_broken_lines() {
    let text = "\
记者从市交通运输局获悉，今年我市将新建和改造农村公路500公里，进一步完善城乡路网，方便群众出行。
交通运输局负责人表示，将把农村公路建设与乡村旅游、特色产业发展结合起来，打造一批美丽农村路。”畅通城乡 筑牢发展底座
今年，全市将重点推进三条干线公路建设，力争年底前全部建成通车，为沿线群众
带来实实在在的便利，同时带动沿线产业发展，助力乡村全面振兴取得新成效。
";
    let doc = clean(text);
    assert_eq!(doc.paragraphs.len(), 4, "{:#?}", doc.paragraphs);
    assert_eq!(doc.paragraphs[2], "畅通城乡 筑牢发展底座");
    assert!(doc.paragraphs[3].contains("为沿线群众带来实实在在的便利"));
}

#[test]
fn placeholders_are_counted_and_kept() {
    let doc = clean("同志们：\n过去一年，X县生产总值突破X亿元，“六个*”建设扎实推进，××同志带领班子成员深入一线调研，全县上下干劲十足。\n");
    assert_eq!(doc.stats.placeholders, 4);
    assert!(doc
        .paragraphs
        .iter()
        .any(|p| p.contains("X县生产总值突破X亿元")));
}

#[test]
fn page_of_nothing_but_chrome_is_empty() {
    let c = cleaner();
    let r = c.clean(RawDoc {
        text: "首页 | 新闻 | 图片 | 视频 | 关于我们\n版权所有 © 2024 某某网\n京ICP备00000000号\n"
            .into(),
        ..Default::default()
    });
    let f = r.expect_err("nothing but chrome");
    assert_eq!(f.status, gongwen_model::FailureStatus::Empty);
}

#[test]
fn body_sentences_that_mention_chrome_words_survive() {
    let text = "\
首页 > 学院新闻
本站讯（通讯员 周婷）5月20日，学院召开知识产权保护工作推进会，部署下一阶段重点任务。
会议要求，要严厉打击盗版侵权行为，向社会公布举报电话和举报邮箱，接受群众监督。
学院工会将进一步提升会员服务水平，建立健全商务合作与服务热线机制，相关数据仅供参考的说法要杜绝。
会议强调，各部门要认真落实主体责任，确保各项工作取得实效，以优异成绩迎接校庆。
";
    let doc = clean(text);
    assert_eq!(doc.paragraphs.len(), 4, "{:#?}", doc.paragraphs);
    assert!(doc.paragraphs[0].starts_with("本站讯"));
    assert_eq!(doc.doc_type, DocType::News);
}

#[test]
fn html_page_metadata_fills_the_fields() {
    let text = "\
网站首页 | 政务公开 | 政策文件
各位代表：
现在，我代表市人民政府，向大会报告政府工作，请予审议，并请市政协委员提出意见。
一、过去五年工作回顾
五年来，全市地区生产总值年均增长6.8%，一般公共预算收入突破300亿元，城乡居民收入稳步增长。
";
    let meta = PageMeta {
        title: Some("2024年青川市政府工作报告_青川市人民政府门户网站".into()),
        published: Some("2024-01-20T09:00:00+08:00".into()),
        source: Some("青川市人民政府办公室".into()),
        ..Default::default()
    };
    let doc = clean_with(&cleaner(), text, meta);
    assert_eq!(doc.title.as_deref(), Some("2024年青川市政府工作报告"));
    assert_eq!(doc.date.as_deref(), Some("2024-01-20"));
    assert_eq!(doc.publisher.as_deref(), Some("青川市人民政府办公室"));
    assert_eq!(doc.doc_type, DocType::Report);
    assert!(doc.paragraphs[0].starts_with("各位代表"));
}

#[test]
fn text_without_chinese_is_kept_not_dropped() {
    let doc = clean("Annual report 2023\nRevenue grew by 5 percent.\n");
    assert_eq!(
        doc.paragraphs,
        ["Annual report 2023", "Revenue grew by 5 percent."]
    );
}

#[test]
fn width_folding_doc_mill_and_placeholders_in_one_page() {
    // the three rare kinds of character the stage looks for in one pass over the text
    let text = "\
首页 | 新闻中心 | 联系我们
关于推进城乡一体化发展的实施意见
二〇二四年，全市上下坚持稳中求进工作总基调，地区生产总值增长６．５％，X县粮食产量再创新高。
各级各部门要坚持以⼈民为中心，扎实推进乡村振兴，确保２０２５年各项目标任务圆满完成。
";
    let doc = clean(text);
    assert_eq!(doc.stats.chars_width_folded, 6, "{doc:?}");
    assert_eq!(doc.stats.placeholders, 1, "{doc:?}");
    assert_eq!(doc.stats.doc_mill_chars, 1, "{doc:?}");
    let b = body(&doc);
    assert!(b.contains("增长6．5％") && b.contains("确保2025年"), "{b}");
    // nothing to fold, count or repair: all three stay 0
    let plain = clean(&text.replace(['６', '５', '２', '０', 'X', '⼈'], "一"));
    assert_eq!(plain.stats.chars_width_folded, 0);
    assert_eq!(plain.stats.placeholders, 0);
    assert_eq!(plain.stats.doc_mill_chars, 0);
}

/// A speech whose main block began at a salutation in the middle of a run of prose, followed
/// by headings: once the prose above is gone, the salutation and the headings weigh less than
/// nothing, so cleaning the result again dropped them. The re-run is no longer skipped there,
/// and cleaning is idempotent.
#[test]
fn salutation_in_mid_run_followed_by_headings_is_idempotent() {
    let c = cleaner();
    let text = "\
在全县经济工作会议上的讲话
今年以来全县经济运行总体平稳，主要指标好于预期。
同志们：
一、过去一年的工作回顾和总结情况说明
（一）经济发展方面的主要情况和基本数据
（二）社会事业方面的主要情况和基本做法
（三）生态环境方面的主要情况和基本做法
全县上下认真贯彻落实上级决策部署，统筹推进稳增长、促改革、调结构、惠民生、防风险各项工作，经济社会发展取得了新的成绩。
全年地区生产总值增长百分之六点五，一般公共预算收入增长百分之八，城乡居民人均可支配收入分别增长百分之五和百分之七。
下一步，我们要坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，推动各项工作再上新台阶，奋力谱写高质量发展新篇章。
";
    let doc = clean_with(&c, text, PageMeta::default());
    assert!(
        doc.paragraphs
            .last()
            .is_some_and(|p| p.starts_with("下一步，我们要坚持稳中求进")),
        "{:?}",
        doc.paragraphs
    );
    assert_idempotent(&c, &doc);
}
