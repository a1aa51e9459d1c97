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

/// Whether a line (already folded with [`crate::script::fold`]) is furniture.
pub fn is_boilerplate(folded: &str) -> bool {
    let line = folded.trim();
    PHRASES.iter().any(|p| line.contains(p)) || PATTERNS.iter().any(|re| re.is_match(line))
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
            "我是辣之友号的签约作者“新闻资讯”!",
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
    fn article_text_is_kept() {
        for line in [
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
