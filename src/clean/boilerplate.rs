//! Page furniture that is not the article: site footers, repost notices and
//! comment widgets, newspaper navigation, photo credits. Rules match the
//! Simplified, half-width, lower-case form of a line, so one list covers
//! both scripts.

use std::sync::LazyLock;

use regex::Regex;

/// Phrases that mark a whole line as furniture wherever they appear.
const PHRASES: &[&str] = &[
    // Site footers.
    "主办单位",
    "承办单位",
    "技术支持",
    "icp备",
    "备案号",
    "欢迎您访问",
    "欢迎访问",
    "版权所有",
    "copyright",
    "网站地图",
    "联系我们",
    // Repost notices and comment widgets.
    "本文来自作者",
    "如若转载",
    "评论列表",
    "签约作者",
    "内容主要涵盖",
    "本文概览",
    "希望本篇文章",
    "发表评论",
    "分享到",
    "责任编辑",
    // Newspaper navigation.
    "上一版",
    "下一版",
    "上一篇",
    "下一篇",
    "返回目录",
    "打印本页",
    "关闭窗口",
];

static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"您是第\s*\d*\s*位来访者",
        r"不代表.{0,20}立场",
        r"^第\s*\d+\s*版\s*[:：]",  // page list: 第00003版:印象锦湖
        r"^放大\s*缩小(\s*默认)?$", // font-size widget
        r"^[\d\s|·/-]*$",           // page numbers and separators
        r"^[\p{Han}·]{2,4}([、,，\s]+[\p{Han}·]{2,4})*\s*(摄|摄影)$", // photo credit: 王圣洁、柯抒琳 摄
    ]
    .iter()
    .map(|p| crate::text::static_regex(p))
    .collect()
});

/// Footers and navigation are short; a longer line without a sentence end
/// is a paragraph cut short by the crawl, judged like a sentence.
const SHORT_LINE_CHARS: usize = 100;

/// A line with its furniture removed: the line itself when it is article
/// text, `None` when all of it is furniture, or — when furniture shares a
/// line with article text ("…等事宜。责任编辑:李瑞", "开封市市场监督管理局
/// 2020年2月20日责任编辑:陈静") — the line without the furniture pieces.
/// `line` is the original; `fold` folds for the check.
///
/// The line is cut after each sentence end and before each furniture
/// phrase; a piece goes only when it is furniture by itself, so a body
/// sentence on the same line as a footer is never lost.
pub fn strip(line: &str, fold: impl Fn(&str) -> String) -> Option<String> {
    let folded = fold(line);
    if !is_boilerplate(&folded) {
        return Some(line.to_owned());
    }
    // A line that opens with a furniture phrase is that furniture's label
    // and what it labels ("本文概览:…" repeats the article), all of it.
    if PHRASES.iter().any(|p| folded.trim_start().starts_with(p)) {
        return None;
    }
    let pieces = pieces(line, &fold);
    if pieces.len() < 2 {
        return None;
    }
    let kept: String = pieces
        .into_iter()
        .filter(|p| has_words(p) && !is_boilerplate(&fold(p)))
        .collect();
    // A bracket left open where a furniture piece began (`【 打印本页】`).
    let kept = kept.trim().trim_end_matches(['【', '[', '(', '（', '|', ' ']).trim();
    (!kept.is_empty()).then(|| kept.to_owned())
}

/// CJK characters a piece of a furniture line needs, when it is not a
/// sentence, to count as text of its own (a notice's signature and date,
/// "开封市市场监督管理局 2020年2月20日"); shorter fragments are the furniture's
/// own labels: a site name before its notice ("本站[辣之友号]"), what is left
/// of `ICP備案號` once its phrases are cut out.
const FRAGMENT_CJK: usize = 10;

/// Whether a piece of a furniture line is text: a sentence, or a fragment
/// of at least [`FRAGMENT_CJK`] CJK characters.
fn has_words(piece: &str) -> bool {
    let cjk = piece
        .chars()
        .filter(|&c| crate::script::is_cjk(c))
        .take(FRAGMENT_CJK)
        .count();
    cjk >= FRAGMENT_CJK || (cjk >= 2 && crate::text::ends_sentence(piece))
}

/// Contiguous pieces of `line` (together they are the whole line): cut
/// after sentence ends (with their closing quotes) and before each
/// furniture phrase.
fn pieces<'a>(line: &'a str, fold: &impl Fn(&str) -> String) -> Vec<&'a str> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut cuts = vec![];
    for (k, &(_, c)) in chars.iter().enumerate() {
        if crate::text::is_sentence_end(c) {
            let mut j = k + 1;
            while j < chars.len() && (crate::text::is_closer(chars[j].1) || chars[j].1 == ' ') {
                j += 1;
            }
            if j < chars.len() {
                cuts.push(chars[j].0);
            }
        }
    }
    // Phrase starts, found on the folded line; only when folding kept the
    // character count, so positions line up.
    let folded: Vec<char> = fold(line).chars().collect();
    if folded.len() == chars.len() {
        let folded_str: String = folded.iter().collect();
        for phrase in PHRASES {
            for (byte, _) in folded_str.match_indices(phrase) {
                let k = folded_str[..byte].chars().count();
                if k > 0 {
                    cuts.push(chars[k].0);
                }
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for cut in cuts {
        if cut > start {
            out.push(&line[start..cut]);
            start = cut;
        }
    }
    out.push(&line[start..]);
    out
}

/// Whether a line (folded) holds any furniture phrase or pattern, whatever
/// its shape: a sentence-like line with one ("我是…号的签约作者…!") is kept
/// in the body, but not where it stands among furniture
/// (see `clean::Furniture`).
pub fn has_signal(folded: &str) -> bool {
    let line = folded.trim();
    PHRASES.iter().any(|p| line.contains(p)) || PATTERNS.iter().any(|re| re.is_match(line))
}

/// Whether a line (already folded with [`crate::script::fold`]) is furniture.
///
/// Shape decides, never a phrase alone inside body text: a line that is
/// not a sentence (footers, navigation: "技术支持:红网", "打印本页】") is
/// furniture when it holds a phrase or a pattern; a line that ends like a
/// sentence only when it opens with a phrase ("希望本篇文章…") or holds two
/// signals (a repost notice: "本文来自作者…不代表…立场,如若转载…"). So
/// "…协调运营商与直播平台给予技术支持;…" and "又将其分享到自己的微信朋友圈。"
/// stay article text: when in doubt, the text is kept.
pub fn is_boilerplate(folded: &str) -> bool {
    let line = folded.trim();
    let patterns = PATTERNS.iter().filter(|re| re.is_match(line)).count();
    let phrases = PHRASES.iter().filter(|p| line.contains(*p)).count();
    if !crate::text::ends_sentence(line) && line.chars().count() <= SHORT_LINE_CHARS {
        return patterns + phrases > 0;
    }
    patterns + phrases >= 2 || PHRASES.iter().any(|p| line.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::fold;

    #[test]
    fn footers_notices_and_navigation_from_the_archive() {
        for line in [
            "主辦單位:中共湖南省委組織部",
            "技術支持:湖南紅網新媒體集團",
            "ICP備案號:湘ICP備17016663號-1",
            "歡迎您訪問紅星網",
            "您是第 位來訪者",
            "本文来自作者[新闻资讯]投稿,不代表辣之友号立场,如若转载,请注明出处:https://lzysp.cn/cskp/202509-2003.html",
            "评论列表(4条)",
            "希望本篇文章《探索南京新风:城市绿化与可持续发展的完美结合》能对你有所帮助!",
            "本站[辣之友号]内容主要涵盖:国足,欧洲杯,世界杯,篮球,欧冠,亚冠,英超,足球,综合体育",
            "本文概览:同心战“疫” 恪尽职守展情怀 疫情就是命令,防控就是责任。",
            "第00003版:印象锦湖",
            "上一版3  4下一版",
            "3 上一篇  下一篇 4",
            "放大 缩小 默认",
            "王圣潔 攝",
            "王圣潔、柯抒琳攝",
            "3",
        ] {
            assert!(is_boilerplate(&fold(line)), "{line}");
        }
    }

    #[test]
    fn furniture_after_article_text_on_one_line_goes_alone() {
        let line = "会议还研究了电子商务促进与管理办法等事宜。 责任编辑:李瑞";
        assert_eq!(
            strip(line, fold).as_deref(),
            Some("会议还研究了电子商务促进与管理办法等事宜。")
        );
        assert_eq!(strip("责任编辑:李瑞", fold), None);
        // No space between the sentence and the footer (ncp_dev).
        assert_eq!(
            strip("会议还研究了电子商务促进与管理办法等事宜。责任编辑:李瑞", fold).as_deref(),
            Some("会议还研究了电子商务促进与管理办法等事宜。")
        );
        // A notice's signature and date stay; the widget after them goes.
        assert_eq!(
            strip("开封市市场监督管理局 2020年2月20日责任编辑:陈静", fold).as_deref(),
            Some("开封市市场监督管理局 2020年2月20日")
        );
        assert_eq!(
            strip("德阳市交通运输局 2020年2月5日 【 打印本页】 【 关闭窗口】", fold).as_deref(),
            Some("德阳市交通运输局 2020年2月5日")
        );
        assert_eq!(strip("疫情就是命令。", fold).as_deref(), Some("疫情就是命令。"));
    }

    #[test]
    fn article_text_is_kept() {
        for line in [
            // Body sentences that merely mention a furniture phrase (ncp_dev).
            "如济南市教育局将制作首批500节微课;滨州市除录制网课外,协调多家通信运营商与直播平台给予技术支持;学而思网校推出免费直播课……",
            "不少居民阅读後,又将其分享到自己的微信朋友圈。",
            "“每日疫情动态播报:以下这些为谣言,信不得……”2月18日一早,一条信息在业主微信群中传播。 推送这条消息的是社区网格员。 不少居民阅读後,又将其分享到自己的微信朋友圈。 重庆日报记者了解到,连日来,市委宣传部会同市...[",
            "金融市场基础设施要从工作机制、人员配备、办公场所、系统运维、技术支持等方面提升服务保障能力。",
            // A sentence with one phrase in its middle: in doubt, kept.
            "我是辣之友号的签约作者“新闻资讯”!",
            "疫情就是命令,防控就是责任。",
            "锦湖街道筑牢疫情防控第一道防线",
            "[张立挺]",
            "(市医保局机关党委供稿)",
            "隔離點先鋒隊員準備給隔離觀察人員做核酸檢測采樣",
            "2020年大年三十,陈达锋积极响应城区委、区政府号召",
            "第一时间完成平急转换",
            "我们一起去拍摄",
        ] {
            assert!(!is_boilerplate(&fold(line)), "{line}");
        }
    }
}
