"""Words: normalisation, stem keys and what texts teach the vocabulary."""

from __future__ import annotations

import pytest

from digest.words import Lexicon, MemoryVocabulary, american, is_spaceless, normalize, phrase_words, stem_key


@pytest.mark.parametrize("forms", [
    ("token", "tokens"), ("image", "images", "imaging"), ("distillation", "distilling", "distil", "distill"),
    ("continual", "continually"), ("efficient", "efficiency"), ("hallucinate", "hallucination", "hallucinations"),
    ("benchmark", "benchmarks", "benchmarking"), ("evaluation", "evaluate", "evaluated", "evaluating"),
    ("policy", "policies"), ("robust", "robustness"), ("align", "aligning", "alignment"),
])
def test_inflected_and_derived_forms_share_a_key(forms):
    assert len({stem_key(w) for w in forms}) == 1


@pytest.mark.parametrize("forms", [
    ("corpus", "corpora"), ("criterion", "criteria"), ("phenomenon", "phenomena"), ("hypothesis", "hypotheses"),
    ("matrix", "matrices"), ("index", "indices"), ("learn", "learnt"), ("child", "children"),
])
def test_irregular_forms_share_a_key(forms):
    assert stem_key(forms[0]) == stem_key(forms[1])


@pytest.mark.parametrize("forms", [
    ("optimization", "optimisation", "optimise", "optimize"), ("behavior", "behaviour"), ("center", "centre"),
    ("dialog", "dialogue"), ("defense", "defence"), ("analyze", "analyse"), ("modeling", "modelling"),
    ("labeled", "labelled"), ("tokenization", "tokenisation"),
    # -our- before a suffix, -re- before -d, -dgement, ae/oe in medical words, -ise verbs of -ice nouns
    ("behavioral", "behavioural"), ("behaviorally", "behaviourally"), ("neighborhood", "neighbourhood"),
    ("neighborhoods", "neighbourhoods"), ("colorful", "colourful"), ("centered", "centred"),
    ("judgment", "judgement"), ("acknowledgments", "acknowledgements"), ("artifact", "artefact"),
    ("artifacts", "artefacts"), ("hemoglobin", "haemoglobin"), ("anesthesia", "anaesthesia"),
    ("estrogen", "oestrogen"), ("orthopedic", "orthopaedic"), ("pediatric", "paediatric"),
    ("encyclopedia", "encyclopaedia"), ("etiology", "aetiology"), ("esophageal", "oesophageal"),
    ("practice", "practise"), ("practiced", "practised"), ("practicing", "practising"),
])
def test_british_and_american_spellings_share_a_key(forms):
    assert len({stem_key(w) for w in forms}) == 1


@pytest.mark.parametrize("a,b", [
    ("transformer", "transform"), ("continuous", "continual"), ("objective", "object"), ("general", "generalization"),
    ("active", "activation"), ("critical", "critic"), ("experience", "experiment"), ("university", "universe"),
    ("news", "new"), ("distributed", "distribution"), ("relative", "relation"),
])
def test_words_porter_would_join_keep_apart(a, b):
    assert stem_key(a) != stem_key(b)


def test_plural_acronyms_share_a_key():
    assert stem_key("llms") == stem_key("llm") and stem_key("cnns") == stem_key("cnn")
    assert stem_key("vlms") == stem_key("vlm")


def test_words_with_digits_short_words_and_other_scripts_are_their_own_key():
    assert stem_key("gpt4") == "gpt4"
    assert stem_key("rl") == "rl"
    assert stem_key("扩散模型") == "扩散模型"
    assert stem_key("données") == "données"


def test_phrase_words_and_joints():
    assert phrase_words("vision-language model") == (["vision", "language", "model"], ["-", " "])
    assert phrase_words("Vision & Language") == (["vision", "and", "language"], [" ", " "])
    assert phrase_words("  Naïve   Bayes ") == (["naive", "bayes"], [" "])
    assert phrase_words("--") == ([], [])


def test_normalize_keeps_cjk_and_hyphens():
    assert normalize("扩散模型 (Diffusion)") == " 扩散模型  diffusion  ".encode()
    assert is_spaceless("扩散") and is_spaceless("トークン") and is_spaceless("모델") and not is_spaceless("model")


def test_lexicon_collects_words_compounds_and_acronym_names():
    lex = Lexicon()
    lex.add("StyleGAN and CycleGANs, pre-training a self-supervised ChatGPT-4 on Vision-Language-Action data")
    assert {"stylegan", "cyclegans", "pre", "training", "self", "supervised", "chatgpt"} <= lex.words
    assert {"pre-training", "self-supervised", "chatgpt-4"} <= lex.compounds
    assert "vision-language-action" not in lex.compounds  # two-part compounds only
    assert {("gan", "stylegan"), ("gan", "cyclegans"), ("gpt", "chatgpt")} <= lex.names
    lex2 = Lexicon()
    lex2.add("LLaMA, BERT and GAN themselves are not names ending in an acronym")
    assert lex2.names == set()


def test_memory_vocabulary_answers_by_key():
    v = MemoryVocabulary(["Diffusion models distil; distillation and pre-training"])
    assert v.forms([stem_key("distilled")]) == {stem_key("distilled"): {"distil", "distillation"}}
    assert v.compounds([stem_key("pretrained"), "none"]) == {stem_key("pretraining"): {"pre-training"}}
    assert v.names(["gan"]) == {}


@pytest.mark.parametrize("word", ["four", "hour", "flour", "hatred", "inbred", "sacred", "string", "wise", "noise",
                                  "rise", "device", "coefficient", "poem", "does", "aerial", "israel", "lodge",
                                  "programmer", "theatrical", "hood", "colonel"])
def test_the_spelling_rules_leave_words_spelled_alike_alone(word):
    """The British-spelling rules need a few letters before what they rewrite, and the medical ae/oe
    ones whole stems (haem, paed, oestr ...), so short words and words that merely end or start
    alike are left as they are. (Words spelled alike on both sides that a rule does rewrite, such as
    ``promise`` -> ``promize``, are rewritten in every text alike: their key is still one key.)"""
    assert american(word) == word


@pytest.mark.parametrize("british,us", [
    ("behavioural", "behavioral"), ("neighbourhoods", "neighborhoods"), ("centred", "centered"),
    ("judgement", "judgment"), ("haemorrhage", "hemorrhage"), ("leukaemia", "leukemia"), ("ischaemic", "ischemic"),
    ("oesophagus", "esophagus"), ("foetal", "fetal"), ("oedema", "edema"), ("paediatric", "pediatric"),
    ("practising", "practicing"), ("optimisation", "optimization"), ("grey", "gray"),
])
def test_american_spells_the_british_forms(british, us):
    assert american(british) == us
