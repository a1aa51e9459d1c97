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
    .map(|p| super::static_regex(p))
    .collect()
});

/// Footers and navigation are short; a longer line without a sentence end
/// is a paragraph cut short by the crawl, judged like a sentence.
const SHORT_LINE_CHARS: usize = 100;

/// A line with its furniture removed: the line itself when it is article
/// text, `None` when all of it is furniture, or — when furniture follows
/// article text on one line ("…等事宜。 责任编辑:李瑞") — the text without the
/// furniture pieces. `line` is the original; `fold` folds for the check.
pub fn strip(line: &str, fold: impl Fn(&str) -> String) -> Option<String> {
    if !is_boilerplate(&fold(line)) {
        return Some(line.to_owned());
    }
    // Pieces split at spaces that follow a sentence end.
    let mut pieces: Vec<&str> = Vec::new();
    let mut start = 0;
    for (i, c) in line.char_indices() {
        if c == ' ' && crate::clean::split::ends_sentence(&line[start..i]) {
            pieces.push(&line[start..i]);
            start = i + 1;
        }
    }
    pieces.push(&line[start..]);
    if pieces.len() < 2 {
        return None;
    }
    let kept: Vec<&str> = pieces
        .into_iter()
        .filter(|p| !p.trim().is_empty() && !is_boilerplate(&fold(p)))
        .collect();
    (!kept.is_empty()).then(|| kept.join(" "))
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
    if !crate::clean::split::ends_sentence(line) && line.chars().count() <= SHORT_LINE_CHARS {
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
