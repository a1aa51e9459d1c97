//! The answer step's three decisions, learned from labelled questions
//! instead of weighed by hand:
//!
//! 1. **sentence**: how likely a sentence (or run of clauses) of the best
//!    passages is to hold the answer;
//! 2. **article**: how likely a retrieved article is the one that answers,
//!    given its ranks, its coverage of the question and its best sentence;
//! 3. **gate**: how likely the archive answers the question at all, given
//!    the chosen sentence and article;
//! 4. **span**: which words of the quoted sentence answer a number, date,
//!    person, place or organisation question (see [`super::span`]).
//!
//! Each is a logistic regression over standardised features, trained by
//! `bench/train/train.py` on half of the public reading-comprehension sets
//! in `bench/train/` (see its README) and stored in `model.json`, which is
//! compiled in: nothing is read at run time. The feature lists below are
//! the contract with the training script; a model whose lists differ is
//! refused by a test, not at run time.

use std::sync::LazyLock;

use serde::Deserialize;

/// Features of a candidate sentence or clause run, in model order.
pub const SENTENCE_FEATURES: &[&str] = &[
    "cover",
    "raw_cover",
    "prev_cover",
    "next_cover",
    "kind",
    "typed_word",
    "novelty",
    "passage_cover",
    "passage_score",
    "passage_rank",
    "article_score",
    "article_cover",
    "article_rank",
    "headline_cover",
    "brief",
    "length",
    "first",
    "position",
    "proximity",
    "colon",
    "missing_names",
    "char_cover",
];

/// Features of a candidate article, as retrieved (the model adds
/// `best_sentence`, the best sentence logit within the article).
pub const ARTICLE_FEATURES: &[&str] = &[
    "rank",
    "score",
    "passage_score",
    "passage_cover",
    "article_cover",
    "headline_cover",
    "missing_names",
];

/// Features of a candidate key span (see [`super::span::features`]).
pub const SPAN_FEATURES: &[&str] = &[
    "distance",
    "after",
    "near_words",
    "length",
    "numeral",
    "time",
    "person",
    "place",
    "organisation",
    "proper",
    "position",
    "first",
    "share",
];

/// Places in [`ARTICLE_FEATURES`] that the answer step reads by name.
pub const RANK: usize = 0;
pub const PASSAGE_COVER: usize = 3;
pub const ARTICLE_COVER: usize = 4;
pub const HEADLINE_COVER: usize = 5;
pub const MISSING_NAMES: usize = 6;

/// Features of the question itself, read by the gate.
pub const QUESTION_FEATURES: &[&str] = &["key_words", "names", "open_kind", "question_chars"];

/// A logistic regression over standardised features.
#[derive(Debug, Clone, Deserialize)]
pub struct Linear {
    pub features: Vec<String>,
    pub mean: Vec<f32>,
    pub scale: Vec<f32>,
    pub weights: Vec<f32>,
    pub bias: f32,
}

impl Linear {
    /// The model's log-odds for one feature vector (features beyond the
    /// model's are ignored; missing ones count as the training mean).
    pub fn logit(&self, x: &[f32]) -> f32 {
        let mut z = self.bias;
        for (i, &v) in x.iter().enumerate().take(self.weights.len()) {
            let scale = self.scale[i];
            if scale > 0.0 {
                z += self.weights[i] * (v - self.mean[i]) / scale;
            }
        }
        z
    }

    fn consistent(&self) -> bool {
        let n = self.features.len();
        self.mean.len() == n && self.scale.len() == n && self.weights.len() == n
    }
}

/// The logistic function: log-odds to a probability.
pub fn probability(logit: f32) -> f32 {
    1.0 / (1.0 + (-logit).exp())
}

/// The four models and the operating points chosen with them.
#[derive(Debug, Clone, Deserialize)]
pub struct Models {
    pub sentence: Linear,
    pub article: Linear,
    pub gate: Linear,
    /// Which candidate of a quote is its key span.
    pub span: Linear,
    /// The first citation leaves the best-ranked article only for an
    /// article whose log-odds are at least this much higher.
    pub switch_margin: f32,
    /// The gate's default threshold on its probability.
    pub threshold: f32,
    /// Most characters an answer span aims for.
    pub span_chars: usize,
}

impl Models {
    /// The feature names each model must have been trained on.
    pub fn expected() -> [(&'static str, Vec<String>); 4] {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut article = names(ARTICLE_FEATURES);
        article.push("best_sentence".into());
        let mut gate = vec!["sentence".to_string(), "article".to_string()];
        gate.extend(names(ARTICLE_FEATURES));
        gate.extend(names(QUESTION_FEATURES));
        [
            ("sentence", names(SENTENCE_FEATURES)),
            ("article", article),
            ("gate", gate),
            ("span", names(SPAN_FEATURES)),
        ]
    }

    /// Whether every model reads exactly the features this code computes.
    pub fn check(&self) -> Result<(), String> {
        let [s, a, g, k] = Self::expected();
        for ((name, want), model) in [
            (s, &self.sentence),
            (a, &self.article),
            (g, &self.gate),
            (k, &self.span),
        ] {
            let (name, want): (&str, Vec<String>) = (name, want);
            if model.features != want || !model.consistent() {
                return Err(format!(
                    "the {name} model reads {:?}, the code computes {want:?}",
                    model.features
                ));
            }
        }
        Ok(())
    }
}

/// The compiled-in models (`model.json`, written by the training script).
pub static MODELS: LazyLock<Models> = LazyLock::new(|| {
    // The file is part of the source, checked by `the_shipped_models_match_the_code`.
    serde_json::from_str(include_str!("model.json")).expect("src/answer/model.json is a valid model")
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_models_match_the_code() {
        MODELS.check().unwrap();
        assert!(MODELS.threshold > 0.0 && MODELS.threshold < 1.0);
        assert!(MODELS.span_chars >= 20);
    }

    #[test]
    fn named_places_name_their_features() {
        for (i, name) in [
            (RANK, "rank"),
            (PASSAGE_COVER, "passage_cover"),
            (ARTICLE_COVER, "article_cover"),
            (HEADLINE_COVER, "headline_cover"),
            (MISSING_NAMES, "missing_names"),
        ] {
            assert_eq!(ARTICLE_FEATURES[i], name);
        }
    }

    #[test]
    fn a_linear_model_standardises_its_inputs() {
        let m = Linear {
            features: vec!["a".into(), "b".into()],
            mean: vec![1.0, 0.0],
            scale: vec![2.0, 0.0],
            weights: vec![1.0, 5.0],
            bias: -0.5,
        };
        // (3 - 1) / 2 = 1; b's zero scale means it never varied: ignored.
        assert_eq!(m.logit(&[3.0, 7.0]), 0.5);
        assert!((probability(0.0) - 0.5).abs() < 1e-6);
        assert!(probability(5.0) > 0.99);
    }
}
