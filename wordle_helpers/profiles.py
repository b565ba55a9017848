"""Run profiles: every setting of a course run, one frozen dataclass per concern, chosen by name.

Introduced in notebook 03. ``smoke`` checks the plumbing in seconds (CI), ``laptop`` (the default) trains a
tiny model on a 2-core CPU for real, ``gpu`` runs the reference plan's recipe on ``Qwen/Qwen2.5-3B-Instruct``.
Pick one with ``WORDLE_PROFILE=NAME`` or ``--profile NAME``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import os
from pathlib import Path

from wordle_helpers.notebook import DEFAULT_PROFILE

# Run artefacts (models, checkpoints, caches); WORDLE_OUTPUT_DIR moves them (the tests use it to keep runs apart).
OUTPUT_DIR = Path(os.environ.get("WORDLE_OUTPUT_DIR") or Path(__file__).resolve().parents[1] / "outputs")
ALL_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class UnknownProfileError(ValueError):
    """A profile name that is not one of the course's profiles."""


PRETRAIN_OPTIMIZERS = ("adamw", "muon")
SFT_LOSS_HEADS = ("trl", "own")


def _check_choice(setting: str, value: str, choices: tuple[str, ...]) -> None:
    """A clear error for a setting that takes one of a few names."""
    if value not in choices:
        raise ValueError(f"unknown {setting} {value!r}; choose one of: {', '.join(choices)}")


@dataclass(frozen=True)
class ModelSettings:
    """Which model: a hub id or local path (``gpu``), or the tiny model built locally (``tiny``)."""

    name: str = "tiny"
    dtype: str = "float32"
    # Tiny model only: architecture, tokenizer, and the base model's pretraining on plain Wordle text.
    hidden_size: int = 128
    # Two layers: a step costs about half as much as with four, and on two cores the steps that buys mattered
    # more than depth (validation wins after SFT 27.0% against 24.0% in the course run; benchmarks/RESULTS.md).
    layers: int = 2
    heads: int = 4
    kv_heads: int = 2
    # A feed-forward layer of 1,024 instead of 512 (0.96M parameters instead of 0.57M): on two cores a step costs
    # little more (attention alone takes about a third), and the words a guess is drawn from live in these layers:
    # answers that fit every hint after SFT 65.5% -> 67.3% of 1,000 validation states, validation wins
    # 33.9% -> 39.1% paired on 230 games (p = 0.23; one build each on one CPU, benchmarks/RESULTS.md).
    intermediate_size: int = 1024
    vocab_size: int = 1024
    max_positions: int = 1024
    tokenizer_games: int = 3000
    pretrain_games: int = 20000
    # The answer list comes 150 times (about 230 passes with the 1.5 passes over the text): spelling the
    # answers is what a guess needs most, and a model this size learns them only after some hundreds of passes.
    answer_list_repeats: int = 150
    # Hint drills (hints, then answers that fit them) per teacher game: the base model's first word after
    # the hints fitted 40% of the time with one drill per game and rose with more; five drills with the answer
    # list 150 times instead of three with 250 lifted consistent answers after SFT 54.5% -> 59.5% (one build
    # each on one CPU; another CPU builds another model from the same seeds: benchmarks/RESULTS.md).
    drills_per_game: int = 5
    # No loss on a drill's hints (random, nothing to learn), only on the words that fit them: the SFT model's
    # validation wins 31.7% -> 38.3% paired on 230 games (p = 0.10), answers that fit every hint 60.4% -> 61.9%
    # on 1,000 states (one build each on one CPU; benchmarks/RESULTS.md).
    train_drill_hints: bool = False
    # 5,000 steps of 5 windows (about 13M tokens, three quarters of a pass over the text) with Muon on the hidden
    # weight matrices: Muon learns the text in fewer steps than AdamW (hint probe after 2,000 steps 49% against
    # 36%), so the build takes about 10 minutes less than AdamW's 10,000 steps for as good an SFT model (validation
    # wins 38.0% against 39.0%, test wins 45.5% against 43.5% in the course runs; benchmarks/RESULTS.md).
    pretrain_steps: int = 5000
    pretrain_bf16: bool = True  # mixed precision where the CPU has native bfloat16 (about a quarter faster)
    pretrain_batch: int = 5
    pretrain_lr: float = 1.5e-3
    # "muon": Muon on the hidden layers' weight matrices, AdamW on the rest; or "adamw" for AdamW on everything.
    pretrain_optimizer: str = "muon"
    pretrain_max_length: int = 512

    def __post_init__(self) -> None:
        _check_choice("pretrain_optimizer", self.pretrain_optimizer, PRETRAIN_OPTIMIZERS)

    @property
    def is_tiny(self) -> bool:
        return self.name == "tiny"


@dataclass(frozen=True)
class DataSettings:
    """How much local data to generate, from which secrets, with which seed."""

    sft_games: int = 6000
    grpo_rows: int = 2000
    seed: int = 0
    use_hub: bool = False  # True: the hub's predibase datasets instead of the local rows
    # Tiny base model only: past the opener, train the base model's own most informative fitting word, of this
    # many drill continuations (greedy, then samples), in place of the teacher's guess; 0 keeps the teacher's.
    own_word_samples: int = 0


@dataclass(frozen=True)
class SFTSettings:
    """Stage 1: TRL SFTTrainer with a PEFT LoRA adapter."""

    epochs: float = 1.0
    # > 0 overrides epochs. 3,300 steps of 16 rows (2.3 passes over the laptop profile's rows): twice the steps
    # kept to the hints about two points more, so a twelfth fewer costs a fraction of a point and a minute.
    max_steps: int = 3300
    learning_rate: float = 2e-3
    batch_size: int = 16
    grad_accum: int = 1
    lora_r: int = 32
    lora_alpha: int = 64
    lora_dropout: float = 0.0
    target_modules: tuple[str, ...] = ALL_LINEAR
    train_embeddings: bool = True  # tiny model: train its embedding so unseen chat/answer tokens become usable
    # The embedding is shared by every layer of the frozen base: moving it at the adapter's rate erases the
    # base model's word knowledge, so it gets a much smaller rate of its own.
    embedding_learning_rate: float = 1e-4
    warmup_fraction: float = 0.03
    scheduler: str = "cosine"
    logging_steps: int = 10
    save_steps: int = 100
    gradient_checkpointing: bool = False
    group_by_length: bool = True
    # How the loss is computed: "trl", TRL's fused LM head (which also works out each token's entropy and top-1
    # for its logs), or "own", the answer tokens' cross-entropy through the output head in float32
    # (``modeling.own_loss_sft_trainer``): the same loss for about a fifth less time a step on the tiny model.
    loss_head: str = "trl"

    def __post_init__(self) -> None:
        _check_choice("loss_head", self.loss_head, SFT_LOSS_HEADS)


@dataclass(frozen=True)
class GRPOSettings:
    """Stage 2: TRL GRPOTrainer from the SFT checkpoint.

    ``batch_size`` counts completions per device step (``num_generations`` of them per prompt).
    ``reward_constants`` overrides the reward constants by name, e.g. ``(("known_absent", -1.0),)``.
    """

    epochs: float = 1.0
    max_steps: int = 300
    learning_rate: float = 5e-5
    batch_size: int = 32
    grad_accum: int = 1
    num_generations: int = 8
    max_completion_length: int = 96
    temperature: float = 1.0
    beta: float = 0.0  # KL to the SFT model (TRL keeps a frozen copy of the adapter); no help on CPU (RESULTS)
    # format, feedback, information gain. Information gain pays for words that split the answers left, which
    # for a player that cannot yet keep to the hints mostly means words that ignore them: on the tiny model,
    # equal weights raised the training reward while wins fell (benchmarks/RESULTS.md), so feedback counts double.
    reward_weights: tuple[float, ...] = (1.0, 2.0, 0.25)
    # A guess that is not a real word earns nothing for "using" the hints (see notebook 02), and each known
    # present letter left out costs as much as an absent letter played: the reference plan's feedback reward
    # does not charge for it, and GRPO on the tiny model learnt to drop such letters (benchmarks/RESULTS.md).
    reward_constants: tuple[tuple[str, float | bool], ...] = (("feedback_needs_allowed_word", True),
                                                              ("present_missing", -0.5))
    # Share of the GRPO states taken from the SFT model's own greedy games on training secrets (its own mistakes
    # in the history) instead of teacher games, and whether each is the state where its greedy answer first broke
    # a hint (there its most likely answer is wrong, so the group's better answers are what GRPO reinforces),
    # or, in a game where it wrote an answer again, the state where it first did (where its play gets stuck).
    # The laptop profile takes all its states so; the reference plan (gpu) uses its dataset's states.
    own_play_share: float = 0.0
    own_play_at_mistake: bool = False
    own_play_at_repeat: bool = False
    # The trainer's seed (sampling and batch order) when it should differ from the profile's data seed, to see how
    # much of a run's outcome is its draw (benchmarks/grpo_seeds.py); its checkpoints go to grpo-seed<N>.
    seed: int | None = None
    logging_steps: int = 5
    save_steps: int = 50
    gradient_checkpointing: bool = False
    use_vllm: bool = False  # gpu only: generate with vLLM (pip install vllm)
    vllm_mode: str = "colocate"


@dataclass(frozen=True)
class EvalSettings:
    """Evaluation: full games and single states."""

    games: int = 200
    states: int = 200
    batch_size: int = 100
    max_new_tokens: int = 96
    # Notebook 05's yardstick: the SFT adapter changed at random, each tensor by noise of these multiples of
    # the norm of GRPO's change to it, once per seed.
    yardstick_scales: tuple[float, ...] = (1.0, 6.0)
    yardstick_seeds: int = 2


@dataclass(frozen=True)
class Profile:
    """Every setting of one course run."""

    name: str
    model: ModelSettings = field(default_factory=ModelSettings)
    data: DataSettings = field(default_factory=DataSettings)
    sft: SFTSettings = field(default_factory=SFTSettings)
    grpo: GRPOSettings = field(default_factory=GRPOSettings)
    evaluation: EvalSettings = field(default_factory=EvalSettings)

    @property
    def output_dir(self) -> Path:
        return OUTPUT_DIR / self.name


# GRPO on the states where the SFT model's own greedy play first went wrong: of the GRPO runs measured on the
# tiny model, the one that raised consistency and the total reward on validation states most (benchmarks/RESULTS.md).
# SFT labels past the opener: the base model's own most informative fitting word of five drill continuations
# (where it writes one): answers that fit every hint after SFT 61.4% -> 65.5% on 1,000 validation states, and
# validation wins 35.7% -> 33.9% (230 games paired, p = 0.72: within noise; benchmarks/RESULTS.md).
# GRPO's feedback reward pays 1 for a whole guess that could still be the secret and 0 otherwise, in place of
# the reference plan's letter-by-letter credit (which pays a guess that breaks a hint for the hints it keeps,
# a word played again for its green letters), and information gain is left out of the total: on the tiny
# model, GRPO with this reward gained test wins with each of five trainer seeds on one CPU, +3.0 to +11.0
# points paired (mean +5.2), where the letter-by-letter reward gained +6.0, 0.0 and -0.5
# (benchmarks/RESULTS.md, "grpo-laptop-limits"); on a CPU that builds another SFT model it lost 3.0 to 6.0
# (mean -4.5), and on validation secrets it moved +2.2 and -0.4 on average: more real words and fitting
# answers on the states everywhere, not more wins everywhere ("course-laptop").
# A word played again costs 0.5 (1 point of the total, weighted 2), so that it scores below a new real word that
# breaks a hint: most lost games hold such a loop, and its feedback shows nothing new. With the states where the
# SFT model first wrote an answer again, three trainer seeds gained more validation wins than without (RESULTS).
WHOLE_GUESS_REWARD: tuple[tuple[str, float | bool], ...] = (
    ("feedback_needs_allowed_word", True), ("green_kept", 0.0), ("yellow_moved", 0.0), ("yellow_same_spot", 0.0),
    ("known_absent", 0.0), ("new_letter", 0.0), ("fits_all_hints", 1.0), ("repeated_guess", -0.5))
# GRPO takes 4 states a step (32 completions, 8 each) for 300 steps: 1,200 states, each from one of the SFT
# model's own games, so the laptop profile plays 1,200 of them (2,000 before, 800 of which GRPO never reached).
# SFT computes its loss directly (``loss_head="own"``): TRL's loss without its fused head, steps a fifth faster.
LAPTOP = Profile(name="laptop", data=DataSettings(own_word_samples=5, grpo_rows=1200),
                 sft=SFTSettings(loss_head="own"),
                 grpo=GRPOSettings(own_play_share=1.0, own_play_at_mistake=True, own_play_at_repeat=True,
                                   reward_weights=(1.0, 2.0, 0.0),
                                   reward_constants=WHOLE_GUESS_REWARD))

SMOKE = Profile(
    name="smoke",
    model=replace(LAPTOP.model, hidden_size=32, layers=1, heads=2, kv_heads=1, intermediate_size=64,
                  vocab_size=400, tokenizer_games=200, pretrain_games=300, answer_list_repeats=2, drills_per_game=1, pretrain_steps=8, pretrain_batch=8),
    data=replace(LAPTOP.data, sft_games=60, grpo_rows=40),
    sft=replace(LAPTOP.sft, max_steps=6, batch_size=8, lora_r=4, lora_alpha=8, logging_steps=2, save_steps=3),
    grpo=replace(LAPTOP.grpo, max_steps=4, batch_size=8, num_generations=4, max_completion_length=24,
                 logging_steps=1, save_steps=2),
    evaluation=EvalSettings(games=8, states=8, batch_size=8, max_new_tokens=24, yardstick_scales=(1.0,), yardstick_seeds=1),
)

GPU = Profile(
    name="gpu",
    model=ModelSettings(name="Qwen/Qwen2.5-3B-Instruct", dtype="bfloat16"),
    data=DataSettings(sft_games=6000, grpo_rows=4000),
    # The reference plan: LoRA r=64 on every linear layer, 10 epochs, lr 2e-5, batch 4.
    sft=SFTSettings(epochs=10, max_steps=-1, learning_rate=2e-5, batch_size=4, lora_r=64, lora_alpha=128, lora_dropout=0.05,
                    train_embeddings=False, logging_steps=10, save_steps=500, gradient_checkpointing=True),
    # The reference plan: 3 epochs, lr 1e-6, batch 2, gradient accumulation 4; 8 generations, not its 2,
    # which gave identical completions and no signal in most steps (TRL generates batch × accumulation = 8
    # completions per round: one prompt's group).
    grpo=GRPOSettings(epochs=3, max_steps=-1, learning_rate=1e-6, batch_size=2, grad_accum=4, num_generations=8,
                      max_completion_length=256, beta=0.04, save_steps=200, gradient_checkpointing=True,
                      reward_weights=(1.0, 1.0, 1.0)),
    evaluation=EvalSettings(games=500, states=500, batch_size=64, max_new_tokens=256),
)

PROFILES: dict[str, Profile] = {p.name: p for p in (SMOKE, LAPTOP, GPU)}


def get_profile(name: str | None = None) -> Profile:
    """The profile called ``name``, else ``$WORDLE_PROFILE``, else ``laptop`` (notebook 03)."""
    chosen = name or os.environ.get("WORDLE_PROFILE") or DEFAULT_PROFILE
    if chosen not in PROFILES:
        valid = ", ".join(PROFILES)
        raise UnknownProfileError(f"unknown profile {chosen!r}; choose one of: {valid} (set WORDLE_PROFILE or --profile)")
    return PROFILES[chosen]
