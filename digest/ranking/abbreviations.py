"""The built-in table of common machine-learning abbreviations.

An interest term that is one of these abbreviations also matches its spelled-out form,
and a term that is (or contains) a spelled-out form also matches the abbreviation:
``"VLM"`` finds "vision-language models", ``"offline RL"`` finds "offline reinforcement
learning", ``"knowledge distillation"`` finds "KD". Each side goes through the same rules
as any term (plurals: "VLMs"; hyphen and space spellings). ``digest explain`` shows the
expansion that matched (``VLM → vision-language model``).

The table holds abbreviations that mean one thing in ML papers; ambiguous ones are left
out (SSL: self- or semi-supervised; CL: continual or contrastive; DP, CV, MAE, SAM, AR,
DA, TS, ...). ``[abbreviations]`` in the config adds entries or replaces them (``"X" = ""``
removes one), and ``[matching] abbreviations = false`` switches the table off.
Written from general knowledge of the field, never from any evaluation set.
"""

from __future__ import annotations

ABBREVIATIONS: dict[str, str] = {
    # language and multimodal models
    "AI": "artificial intelligence",
    "ML": "machine learning",
    "DL": "deep learning",
    "NLP": "natural language processing",
    "NLU": "natural language understanding",
    "NLG": "natural language generation",
    "NLI": "natural language inference",
    "LM": "language model",
    "LLM": "large language model",
    "PLM": "pre-trained language model",
    "SLM": "small language model",
    "MLLM": "multimodal large language model",
    "VLM": "vision-language model",
    "LVLM": "large vision-language model",
    "VLP": "vision-language pre-training",
    "VLA": "vision-language-action model",
    "VLN": "vision-and-language navigation",
    "VQA": "visual question answering",
    "ICL": "in-context learning",
    "CoT": "chain of thought",
    "RAG": "retrieval-augmented generation",
    "NER": "named entity recognition",
    "NMT": "neural machine translation",
    "ASR": "automatic speech recognition",
    "TTS": "text-to-speech",
    "OCR": "optical character recognition",
    "KG": "knowledge graph",
    # training and adaptation
    "SFT": "supervised fine-tuning",
    "PEFT": "parameter-efficient fine-tuning",
    "LoRA": "low-rank adaptation",
    "KD": "knowledge distillation",
    "MoE": "mixture of experts",
    "NAS": "neural architecture search",
    "HPO": "hyperparameter optimization",
    "SGD": "stochastic gradient descent",
    "QAT": "quantization-aware training",
    "PTQ": "post-training quantization",
    "FL": "federated learning",
    "FSL": "few-shot learning",
    "ZSL": "zero-shot learning",
    "TTA": "test-time adaptation",
    "UDA": "unsupervised domain adaptation",
    "OOD": "out-of-distribution",
    # reinforcement learning and alignment
    "RL": "reinforcement learning",
    "DRL": "deep reinforcement learning",
    "MARL": "multi-agent reinforcement learning",
    "IRL": "inverse reinforcement learning",
    "RLHF": "reinforcement learning from human feedback",
    "RLAIF": "reinforcement learning from AI feedback",
    "MDP": "Markov decision process",
    "POMDP": "partially observable Markov decision process",
    "DQN": "deep Q-network",
    "PPO": "proximal policy optimization",
    "DPO": "direct preference optimization",
    "GRPO": "group relative policy optimization",
    "MCTS": "Monte Carlo tree search",
    "PRM": "process reward model",
    # architectures
    "CNN": "convolutional neural network",
    "RNN": "recurrent neural network",
    "LSTM": "long short-term memory",
    "GNN": "graph neural network",
    "GCN": "graph convolutional network",
    "MLP": "multilayer perceptron",
    "ViT": "vision transformer",
    "SSM": "state space model",
    "SNN": "spiking neural network",
    "SAE": "sparse autoencoder",
    "NTK": "neural tangent kernel",
    # generative models and vision
    "GAN": "generative adversarial network",
    "VAE": "variational autoencoder",
    "DDPM": "denoising diffusion probabilistic model",
    "LDM": "latent diffusion model",
    "NeRF": "neural radiance field",
    "3DGS": "3D Gaussian splatting",
    "T2I": "text-to-image",
    "T2V": "text-to-video",
    "I2V": "image-to-video",
    # probabilistic methods, health, explainability
    "MCMC": "Markov chain Monte Carlo",
    "EHR": "electronic health record",
    "EEG": "electroencephalography",
    "MRI": "magnetic resonance imaging",
    "XAI": "explainable artificial intelligence",
}
