//! Doubled punctuation: `,,` `,。` `、,` `,;` collapse to one mark. Some
//! crawls inserted a comma before every mark, so in a run the most specific
//! mark wins: sentence end (`。！？`) over `；` over `：` over `、` over `，`.

use crate::text::FULL_STOPS;

/// How specific a mark is, or `None` when it does not take part.
fn rank(c: char) -> Option<u8> {
    Some(match c {
        c if FULL_STOPS.contains(&c) => 5,
        '；' | ';' => 4,
        '：' | ':' => 3,
        '、' => 2,
        '，' | ',' => 1,
        _ => return None,
    })
}

/// Collapses each run of two or more marks to its most specific one.
pub fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run: Option<char> = None; // the best mark of the current run
    for c in text.chars() {
        match (rank(c), run) {
            (Some(r), Some(best)) => {
                if rank(best).is_some_and(|b| r > b) {
                    run = Some(c);
                }
            }
            (Some(_), None) => run = Some(c),
            (None, _) => {
                if let Some(best) = run.take() {
                    out.push(best);
                }
                out.push(c);
            }
        }
    }
    out.extend(run);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_runs_from_the_archive() {
        assert_eq!(collapse("大戰見本色,,大考顯擔當。"), "大戰見本色,大考顯擔當。");
        assert_eq!(collapse("踏上“疫”無反顧的逆行之路,。"), "踏上“疫”無反顧的逆行之路。");
        assert_eq!(collapse("迅速謀劃,、快速部署"), "迅速謀劃、快速部署");
        assert_eq!(collapse("完成平急轉換,;依托"), "完成平急轉換;依托");
        assert_eq!(collapse("有組織,!領導坐"), "有組織!領導坐");
        assert_eq!(collapse("扛严寒,,铆足了劲"), "扛严寒,铆足了劲");
        assert_eq!(collapse("、,"), "、");
    }

    #[test]
    fn single_marks_and_other_symbols_stay() {
        for s in [
            "疫情就是命令,防控就是责任。",
            "“5+3+7”模式",
            "……",
            "2.5万",
            "12:30",
            "你好?”他说。",
            "",
        ] {
            assert_eq!(collapse(s), s);
        }
    }
}
