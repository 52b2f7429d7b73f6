//! Unit tests with sentences of our own making (other cities, companies, titles).

use super::*;
use crate::recognize::char_flag;
use jieba_rs::Jieba;
use std::sync::OnceLock;

fn jieba() -> &'static Jieba {
    static J: OnceLock<Jieba> = OnceLock::new();
    J.get_or_init(|| {
        let mut j = Jieba::new();
        for w in recognizer().dictionary_words() {
            j.add_word(&w.word, None, w.pos.as_deref());
        }
        j
    })
}

fn recognizer() -> &'static EntityRecognizer {
    static R: OnceLock<EntityRecognizer> = OnceLock::new();
    R.get_or_init(|| {
        EntityRecognizer::build(&EntitiesConfig::default(), Path::new(".")).expect("builds")
    })
}

/// Tokens of `text` as segment would pass them (sentence starting at `start`).
pub(crate) fn tokens(jieba: &Jieba, text: &str, start: usize, sent_idx: usize) -> Vec<Token> {
    let mut pos = start;
    jieba
        .tag(text, true)
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let n = t.word.chars().count();
            let tok = Token {
                sent_idx,
                tok_idx: i,
                word: t.word.into(),
                pos: t.tag.into(),
                span: Span::new(pos, pos + n),
            };
            pos += n;
            tok
        })
        .collect()
}

/// The mentions `rec` finds in `sentences`, tokenised as segment would, one after another.
fn recognize_sentences(rec: &EntityRecognizer, sentences: &[&str]) -> Vec<Entity> {
    let j = jieba();
    let mut data = Vec::new();
    let mut start = 0;
    for (i, s) in sentences.iter().enumerate() {
        data.push((i, start, *s, tokens(j, s, start, i)));
        start += s.chars().count();
    }
    let views: Vec<SentenceView<'_>> = data
        .iter()
        .map(|(i, st, s, t)| SentenceView {
            sent_idx: *i,
            start: *st,
            text: s,
            tokens: t,
            chars: None,
        })
        .collect();
    rec.recognize(&views)
}

fn run(text: &str) -> Vec<Entity> {
    let sentences: Vec<&str> = text.split_inclusive(['。', '！', '？', '；']).collect();
    let ents = recognize_sentences(recognizer(), &sentences);
    for e in &ents {
        assert_eq!(
            gongwen_model::slice_chars(text, e.span),
            e.text,
            "span matches text"
        );
    }
    ents
}

fn has(ents: &[Entity], text: &str, ty: EntityType) -> bool {
    ents.iter().any(|e| e.text == text && e.entity_type == ty)
}

fn title_of(ents: &[Entity], text: &str) -> Option<String> {
    ents.iter()
        .find(|e| e.text == text && e.entity_type == EntityType::Per)
        .and_then(|e| e.title.clone())
}

#[test]
fn titled_people() {
    let e = run(
        "省委书记王振华出席会议并讲话，市委副书记、市长李卫东主持会议。王振华强调，要抓好落实。",
    );
    assert_eq!(title_of(&e, "王振华").as_deref(), Some("省委书记"), "{e:?}");
    assert_eq!(
        title_of(&e, "李卫东").as_deref(),
        Some("市委副书记、市长"),
        "{e:?}"
    );
    assert_eq!(
        e.iter().filter(|x| x.text == "王振华").count(),
        2,
        "propagated: {e:?}"
    );
}

#[test]
fn company_titles_and_bylines() {
    let e = run("华星集团董事长陈立新说，企业要加快转型。（潍坊日报记者 赵一鸣 孙晓）");
    assert_eq!(title_of(&e, "陈立新").as_deref(), Some("董事长"), "{e:?}");
    assert_eq!(title_of(&e, "赵一鸣").as_deref(), Some("记者"), "{e:?}");
    assert_eq!(title_of(&e, "孙晓").as_deref(), Some("记者"), "{e:?}");
    assert!(has(&e, "潍坊日报", EntityType::Org), "{e:?}");
    assert!(
        !has(&e, "潍坊", EntityType::Loc),
        "no place inside the newspaper: {e:?}"
    );
}

#[test]
fn places_full_and_short() {
    let e = run("潍坊市与寿光、青州协同发展，积极融入长三角，推动长江经济带和淮河流域保护。");
    for p in ["潍坊市", "寿光", "青州", "长三角", "长江经济带", "淮河流域"] {
        assert!(has(&e, p, EntityType::Loc), "{p}: {e:?}");
    }
}

#[test]
fn ambiguous_short_forms_are_not_places() {
    let e = run("我们要加强合作，保持安定团结，发展新兴产业。");
    assert!(e.iter().all(|x| x.entity_type != EntityType::Loc), "{e:?}");
}

#[test]
fn department_abbreviations() {
    let e = run("市财政局、县商务局和潍坊市教育局负责同志参加会议。");
    for o in ["市财政局", "县商务局", "潍坊市教育局"] {
        assert!(has(&e, o, EntityType::Org), "{o}: {e:?}");
    }
}

#[test]
fn quoted_terms_not_speech() {
    let e = run("深入推进“三个一批”工程，坚持“放得开、管得住”原则。他说：“我们一定完成任务。”");
    assert!(has(&e, "三个一批", EntityType::Term), "{e:?}");
    assert!(has(&e, "放得开、管得住", EntityType::Term), "{e:?}");
    assert!(!e.iter().any(|x| x.text.contains("我们一定")), "{e:?}");
}

#[test]
fn redacted_names_are_dropped() {
    let e = run("X集团和某某县相关负责人参加，推进“六个*”建设。");
    assert!(
        e.iter()
            .all(|x| !x.text.contains('X') && !x.text.contains('*')),
        "{e:?}"
    );
}

#[test]
fn suffix_organisations() {
    let e = run("支持青岛海洋科学研究院、济南轨道交通集团发展，推动临沂大学建设。");
    for o in ["青岛海洋科学研究院", "济南轨道交通集团", "临沂大学"] {
        assert!(has(&e, o, EntityType::Org), "{o}: {e:?}");
    }
}

#[test]
fn config_problems_have_paths() {
    let cfg = EntitiesConfig {
        max_term_chars: 0,
        extra_places: vec!["nope.txt".into()],
        ..Default::default()
    };
    let p = cfg.validate(Path::new("/nonexistent"));
    let paths: Vec<&str> = p.iter().map(|x| x.path.as_str()).collect();
    assert!(paths.contains(&"entities.max_term_chars"), "{p:?}");
    assert!(paths.contains(&"entities.extra_places[0]"), "{p:?}");
    assert!(paths.contains(&"entities.min_term_chars"), "{p:?}");
}

#[test]
fn no_panic_without_tokens() {
    let text = "“”「」『』\"\"X*市委书记";
    let views = [SentenceView {
        sent_idx: 0,
        start: 0,
        text,
        tokens: &[],
        chars: None,
    }];
    let _ = recognizer().recognize(&views);
}

proptest::proptest! {
    #[test]
    fn arbitrary_text_never_panics_and_spans_fit(s in "\\PC{0,60}") {
        let j = jieba();
        let toks = tokens(j, &s, 0, 0);
        let views = [SentenceView { sent_idx: 0, start: 0, text: &s, tokens: &toks, chars: None }];
        let found = recognizer().recognize(&views);
        for e in &found {
            proptest::prop_assert_eq!(gongwen_model::slice_chars(&s, e.span), e.text.as_str());
        }
        // Characters given by the caller give what decoding the text gives.
        let chars: Vec<char> = s.chars().collect();
        let given = [SentenceView { chars: Some(&chars), ..views[0] }];
        proptest::prop_assert_eq!(recognizer().recognize(&given), found);
    }
}

/// Characters decoded by the caller (segment) give the mentions of decoding the text.
#[test]
fn given_characters_find_what_decoding_finds() {
    let sentences = [
        "市委副书记、市长张三主持会议。",
        "他强调，要落实“放管服”改革，推动华为技术有限公司等企业发展。",
        "张三表示，长江流域生态保护要加强。𠀀Ｘ集团",
    ];
    let j = jieba();
    let mut data = Vec::new();
    let mut start = 0;
    for (i, s) in sentences.iter().enumerate() {
        let chars: Vec<char> = s.chars().collect();
        data.push((i, start, *s, tokens(j, s, start, i), chars));
        start += s.chars().count();
    }
    // `given(i)`: whether sentence `i` gives its characters.
    let views = |given: &dyn Fn(usize) -> bool| -> Vec<SentenceView<'_>> {
        data.iter()
            .map(|(i, st, s, t, c)| SentenceView {
                sent_idx: *i,
                start: *st,
                text: s,
                tokens: t,
                chars: given(*i).then_some(c.as_slice()),
            })
            .collect()
    };
    let decoded = recognizer().recognize(&views(&|_| false));
    assert!(!decoded.is_empty());
    assert_eq!(recognizer().recognize(&views(&|_| true)), decoded);
    // Some sentences given, some decoded (the given ones are read where they are, the
    // others from the recogniser's buffer).
    assert_eq!(recognizer().recognize(&views(&|i| i % 2 == 0)), decoded);
    assert_eq!(recognizer().recognize(&views(&|i| i % 2 == 1)), decoded);
}

/// One sentence's mentions, as (text, type, title), recognised by `rec` alone or after other
/// sentences (the recogniser reuses its buffers from one sentence to the next).
fn mentions_of_last(
    rec: &EntityRecognizer,
    sentences: &[&str],
) -> Vec<(String, EntityType, Option<String>)> {
    let last = sentences.len().saturating_sub(1);
    recognize_sentences(rec, sentences)
        .into_iter()
        .filter(|e| e.sent_idx == last)
        .map(|e| (e.text, e.entity_type, e.title))
        .collect()
}

#[test]
fn reused_sentence_buffers_do_not_leak_between_sentences() {
    let rec = EntityRecognizer::build(
        &EntitiesConfig {
            propagate_titles: false,
            ..Default::default()
        },
        Path::new("."),
    )
    .expect("builds");
    let long = "省委副书记、市长李卫东在潍坊市教育局和华星集团调研，推进“三个一批”工程和淮河流域综合治理，要求市发改委抓好落实。";
    for short in ["寿光", "青州市委书记王振华说。", "“链长制”", "X", ""] {
        let alone = mentions_of_last(&rec, &[short]);
        let after = mentions_of_last(&rec, &[long, short]);
        assert_eq!(alone, after, "{short:?}");
    }
}

#[test]
fn items_of_a_company_list_are_organisations() {
    let e = run("会议表彰了宏达、远航和金盛等十家企业。");
    for o in ["宏达", "远航", "金盛"] {
        assert!(has(&e, o, EntityType::Org), "{o}: {e:?}");
    }
    // The head word (企业) must start within four characters after 等.
    let e = run("会议表彰了宏达、远航和金盛等各个部门单位和企业。");
    assert!(!has(&e, "宏达", EntityType::Org), "{e:?}");
}

#[test]
fn sentences_without_lexicon_hits_keep_terms_lists_and_cued_names() {
    // Sentences without a lexicon hit are only read further when they hold an opening
    // quote, 等 or a name-tagged token; the first sentence here is dropped early.
    let rec = recognizer();
    for s in [
        "全面推行“链长制”。",
        "会议表彰了宏达、远航和金盛等十家企业。",
        "李卫东说，今年要抓好落实。",
    ] {
        let alone = mentions_of_last(rec, &[s]);
        let after = mentions_of_last(rec, &["今天天气很好。", s]);
        assert!(!alone.is_empty(), "{s}");
        assert_eq!(alone, after, "{s}");
    }
}

/// `text`'s mentions with `toks` as its tokens, as (start, end, type, title).
fn mentions_with_tokens(
    text: &str,
    toks: &[Token],
) -> Vec<(usize, usize, EntityType, Option<String>)> {
    let views = [SentenceView {
        sent_idx: 0,
        start: 0,
        text,
        tokens: toks,
        chars: None,
    }];
    recognizer()
        .recognize(&views)
        .into_iter()
        .map(|e| (e.span.start, e.span.end, e.entity_type, e.title))
        .collect()
}

proptest::proptest! {
    /// Tokens that do not tile the sentence (one missing) are rebuilt with one-character
    /// `x` tokens in the gap: the same mentions as tiling tokens with those `x` tokens,
    /// which are read in place.
    #[test]
    fn rebuilt_tokens_match_tokens_read_in_place(
        pick in 0usize..1000,
        which in 0usize..4,
    ) {
        let sentences = [
            "市委副书记、市长李卫东在潍坊市教育局调研。",
            "华星集团董事长陈立新说，要推进“三个一批”工程。",
            "会议表彰了宏达、远航和金盛等十家企业。",
            "记者 赵一鸣 孙晓",
        ];
        let text = sentences[which];
        let toks = tokens(jieba(), text, 0, 0);
        let k = pick % toks.len();
        let mut gap = toks.clone();
        let dropped = gap.remove(k);
        let mut filled = gap.clone();
        let singles: Vec<Token> = (dropped.span.start..dropped.span.end)
            .map(|i| Token {
                sent_idx: 0,
                tok_idx: 0,
                word: gongwen_model::slice_chars(text, Span::new(i, i + 1)).into(),
                pos: "x".into(),
                span: Span::new(i, i + 1),
            })
            .collect();
        filled.splice(k..k, singles);
        proptest::prop_assert_eq!(
            mentions_with_tokens(text, &gap),
            mentions_with_tokens(text, &filled)
        );
    }
}

#[test]
fn documents_do_not_leak_into_the_next_one() {
    // The thread keeps its buffers from one document to the next.
    let rec = recognizer();
    let short = ["青州市委书记王振华说。", "“链长制”"];
    let alone = recognize_sentences(rec, &short);
    let long = [
        "省委副书记、市长李卫东在潍坊市教育局和华星集团调研，推进“三个一批”工程。",
        "李卫东要求市发改委抓好落实，华星集团要带头。",
        "会议表彰了宏达、远航和金盛等十家企业。",
    ];
    let _ = recognize_sentences(rec, &long);
    assert_eq!(recognize_sentences(rec, &short), alone);
}

#[test]
fn names_propagate_to_sentences_before_and_after() {
    // The signature test must not skip a sentence holding a name.
    let e = run("王振华来到寿光。市委书记王振华出席会议。会上王振华强调。");
    let with_title = e
        .iter()
        .filter(|x| x.text == "王振华" && x.title.as_deref() == Some("市委书记"))
        .count();
    assert_eq!(with_title, 3, "{e:?}");
}

/// The indices of the quote characters of `text`, found by reading every character.
fn quote_indices(text: &str) -> Vec<u32> {
    (0u32..)
        .zip(text.chars())
        .filter(|&(_, c)| crate::recognize::is_quote(c))
        .map(|(k, _)| k)
        .collect()
}

/// `DocChars` filled from one sentence per text, with its `decoded` characters handed over
/// when `given` (as segment does) or decoded from the text otherwise.
fn fill_doc_chars<T: AsRef<str>>(texts: &[T], decoded: &[Vec<char>], given: bool) -> DocChars {
    let views: Vec<SentenceView<'_>> = texts
        .iter()
        .zip(decoded)
        .enumerate()
        .map(|(i, (t, chars))| SentenceView {
            sent_idx: i,
            start: 0,
            text: t.as_ref(),
            tokens: &[],
            chars: given.then_some(chars.as_slice()),
        })
        .collect();
    let mut doc = DocChars::default();
    doc.fill(&views);
    doc
}

#[test]
fn decoding_fills_characters_offsets_flags_and_signatures() {
    // Mixed widths (ASCII, two-byte Latin, Han, a supplementary-plane ideograph) and an
    // empty sentence: the decoding writes into slices sized by bytes and cuts them to the
    // characters decoded; given characters are read where they are. Either way, the byte offsets (kept
    // only for characters not three bytes wide) and flags are those of the text.
    let texts = [
        "ab“甲乙”等",
        "",
        "𠀀丙x",
        "丁",
        "é甲𠀀a乙丙",
        "甲乙丙",
        "「甲』‘乙’\"丙\"『丁」",
    ];
    let decoded: Vec<Vec<char>> = texts.iter().map(|t| t.chars().collect()).collect();
    for given in [false, true] {
        let doc = fill_doc_chars(&texts, &decoded, given);
        for (i, t) in texts.iter().enumerate() {
            let SentChars {
                chars,
                bytes,
                flags,
                quotes,
            } = doc.sentence(i, given.then_some(decoded[i].as_slice()));
            assert_eq!(chars, t.chars().collect::<Vec<_>>().as_slice(), "{t}");
            assert_eq!(quotes, quote_indices(t).as_slice(), "{t} (given: {given})");
            let offsets: Vec<usize> = t.char_indices().map(|(b, _)| b).collect();
            let mapped: Vec<usize> = (0..chars.len()).map(|k| bytes.at(k)).collect();
            assert_eq!(mapped, offsets, "{t} (given: {given})");
            assert_eq!(bytes.at(chars.len()), t.len(), "{t} (given: {given})");
            let want = t.chars().fold(0, |f, c| f | char_flag(c));
            assert_eq!(flags, want, "{t} (given: {given})");
        }
    }
}

#[test]
fn name_tagged_tokens_without_a_cue_character_yield_nothing() {
    // A sentence without lexicon hits, quote or 等 is read further only when a cue could
    // start in it: a name tagged `nr` followed by a cue is found, the same name with no
    // cue character anywhere in the sentence is not (and its tokens are not read).
    let text_cue = "王小明说";
    let text_bare = "王小明好";
    let toks = |text: &str| {
        vec![
            Token {
                sent_idx: 0,
                tok_idx: 0,
                word: gongwen_model::slice_chars(text, Span::new(0, 3)).into(),
                pos: "nr".into(),
                span: Span::new(0, 3),
            },
            Token {
                sent_idx: 0,
                tok_idx: 1,
                word: gongwen_model::slice_chars(text, Span::new(3, 4)).into(),
                pos: "v".into(),
                span: Span::new(3, 4),
            },
        ]
    };
    let rec = recognizer();
    assert!(!rec.lexicon.cue_first.may_contain('好'));
    let bare = mentions_with_tokens(text_bare, &toks(text_bare));
    assert!(bare.is_empty(), "{bare:?}");
    let cued = mentions_with_tokens(text_cue, &toks(text_cue));
    assert_eq!(cued, vec![(0, 3, EntityType::Per, None)]);
}

#[test]
fn char_signatures_hold_the_words_of_a_text() {
    let text = char_sig("市委书记王振华说".chars());
    for w in ["王振华", "书记", "说"] {
        assert!(sig_within(char_sig(w.chars()), text), "{w}");
    }
    // Some word of other characters is ruled out (2 × 64 bits: a few may collide).
    assert!(["甲乙", "丙丁", "戊己", "庚辛", "壬癸"]
        .iter()
        .any(|w| !sig_within(char_sig(w.chars()), text)));
}

#[test]
fn name_tags_are_told_by_their_first_two_bytes() {
    use crate::recognize::is_name_tag;
    for tag in ["nr", "nrt", "nrfg", "nr1"] {
        assert!(is_name_tag(tag), "{tag}");
    }
    for tag in ["", "n", "ns", "nt", "rn", "r", "x", "v"] {
        assert!(!is_name_tag(tag), "{tag}");
    }
    for tag in ["", "n", "nr", "nrt", "nrfg", "ns", "x", "eng"] {
        assert_eq!(is_name_tag(tag), tag.starts_with("nr"), "{tag}");
    }
}

proptest::proptest! {
    #[test]
    fn sparse_byte_offsets_are_the_texts_offsets(
        texts in proptest::collection::vec("(\\PC|[a-zé，。“”‘’「」『』\"等𠀀])*", 0..4),
    ) {
        let decoded: Vec<Vec<char>> = texts.iter().map(|t| t.chars().collect()).collect();
        for given in [false, true] {
            let doc = fill_doc_chars(&texts, &decoded, given);
            for (i, t) in texts.iter().enumerate() {
                let SentChars { chars, bytes, quotes, .. } =
                    doc.sentence(i, given.then_some(decoded[i].as_slice()));
                proptest::prop_assert_eq!(quotes.to_vec(), quote_indices(t));
                let mut want: Vec<usize> = t.char_indices().map(|(b, _)| b).collect();
                want.push(t.len());
                let got: Vec<usize> = (0..=chars.len()).map(|k| bytes.at(k)).collect();
                proptest::prop_assert_eq!(got, want);
            }
        }
    }
}

/// The tokens 等 closing a company list as the rule found them before it looked from the
/// characters: every token read, its word compared with 等 (the test oracle of
/// [`list_closers`](crate::recognize::list_closers)).
fn list_closers_by_tokens(ctx: &SentCtx<'_>) -> Vec<usize> {
    ctx.tokens()
        .enumerate()
        .filter(|(_, t)| t.word == "等" && crate::recognize::company_head_follows(ctx, t.end))
        .map(|(k, _)| k)
        .collect()
}

/// Whether [`list_closers`](crate::recognize::list_closers) finds, in `text` with tokens
/// `toks`, the tokens its oracle finds.
fn list_closers_agree(text: &str, toks: &[Token]) -> Result<(), String> {
    let decoded = vec![text.chars().collect::<Vec<char>>()];
    let doc = fill_doc_chars(&[text], &decoded, false);
    let mut ctx = SentCtx::with_buffers(SentBuffers::default());
    ctx.set_sentence(text, doc.sentence(0, None));
    ctx.set_tokens(toks, 0);
    let got: Vec<usize> = crate::recognize::list_closers(&ctx)
        .map(|(k, _)| k)
        .collect();
    let want = list_closers_by_tokens(&ctx);
    if got == want {
        Ok(())
    } else {
        Err(format!("{text}: {got:?} != {want:?}"))
    }
}

#[test]
fn company_list_closers_are_found_from_the_characters() {
    for text in [
        "会议表彰了宏达、远航和金盛等十家企业。",
        "支持甲乙科技、丙丁集团等企业发展，推进教育等方面改革。",
        "等企业",
        "宏达等",
        "等等公司和等",
        "甲、乙等",
        "",
    ] {
        let toks = tokens(jieba(), text, 0, 0);
        list_closers_agree(text, &toks).unwrap_or_else(|e| panic!("{e}"));
    }
    // Found at all where it should be.
    let text = "会议表彰了宏达、远航和金盛等十家企业。";
    let toks = tokens(jieba(), text, 0, 0);
    let mut ctx = SentCtx::with_buffers(SentBuffers::default());
    let decoded = vec![text.chars().collect::<Vec<char>>()];
    let doc = fill_doc_chars(&[text], &decoded, false);
    ctx.set_sentence(text, doc.sentence(0, None));
    ctx.set_tokens(&toks, 0);
    assert_eq!(list_closers_by_tokens(&ctx).len(), 1);
}

proptest::proptest! {
    /// On random sentences built from list pieces (tokenised by jieba, and with one token
    /// dropped so that the tokens are rebuilt), the closers found from the characters are
    /// those found by reading every token.
    #[test]
    fn company_list_closers_agree_with_reading_every_token(
        pieces in proptest::collection::vec(
            proptest::sample::select(vec![
                "等", "企业", "公司", "集团", "银行", "方面", "、", "和", "宏达", "远航", "科技",
                "十家", "。", "，", "甲", "X", " ", "等等", "高校", "领域",
            ]),
            0..16,
        ),
        drop in proptest::option::of(0usize..64),
    ) {
        let text: String = pieces.concat();
        let mut toks = tokens(jieba(), &text, 0, 0);
        if let Some(k) = drop {
            if !toks.is_empty() {
                let k = k % toks.len();
                toks.remove(k);
            }
        }
        proptest::prop_assert!(list_closers_agree(&text, &toks).is_ok(), "{:?}", list_closers_agree(&text, &toks));
    }
}

#[test]
fn name_tagged_tokens_need_a_title_or_a_cue_after_them() {
    // A sentence with a lexicon hit (the place), so that the rules run: a name tagged `nr`
    // counts with a cue or a title right after it, not with another word (which the person
    // rule turns down before looking at the name's shape).
    let toks = |text: &str, last_pos: &str| {
        let n = text.chars().count();
        [(0, 3, "ns"), (3, 6, "nr"), (6, n, last_pos)]
            .iter()
            .enumerate()
            .map(|(k, &(a, b, pos))| Token {
                sent_idx: 0,
                tok_idx: k,
                word: gongwen_model::slice_chars(text, Span::new(a, b)).into(),
                pos: pos.into(),
                span: Span::new(a, b),
            })
            .collect::<Vec<_>>()
    };
    let person = |text: &str, last_pos: &str| {
        mentions_with_tokens(text, &toks(text, last_pos))
            .into_iter()
            .filter(|m| m.2 == EntityType::Per)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        person("潍坊市王小明说", "v"),
        vec![(3, 6, EntityType::Per, None)]
    );
    assert_eq!(
        person("潍坊市王小明书记", "n"),
        vec![(3, 6, EntityType::Per, Some("书记".to_string()))]
    );
    assert!(person("潍坊市王小明好", "a").is_empty());
}
