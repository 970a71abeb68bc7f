//! `redress model`: train and evaluate the routing classifier (category or responsible unit
//! suggestions) from labelled CSV files, `text,label` (pre-segmented) or `subject,content,label`
//! (raw text).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use redress_text::{InputKind, Model, TrainOptions};

#[derive(Debug, clap::Subcommand)]
pub enum ModelCmd {
    /// 用已办结事项训练分流模型（CSV：text,label 已分词，或 subject,content,label 原文）
    Train {
        /// 训练数据 CSV 文件
        #[arg(long, value_name = "FILE.csv")]
        data: PathBuf,
        /// 模型输出文件
        #[arg(long, value_name = "MODEL")]
        out: PathBuf,
    },
    /// 在带标签的 CSV 上评估模型：准确率、混淆矩阵、各类 P/R/F1，最后一行为 macro-F1
    Eval {
        /// 模型文件
        #[arg(long, value_name = "MODEL")]
        model: PathBuf,
        /// 评估数据 CSV 文件
        #[arg(long, value_name = "FILE.csv")]
        data: PathBuf,
    },
}

fn layout(input: InputKind) -> &'static str {
    match input {
        InputKind::Segmented => "已分词 text,label",
        InputKind::Raw => "原文 subject,content,label",
    }
}

pub async fn run(cmd: ModelCmd) -> anyhow::Result<()> {
    // Training and evaluation are CPU work: keep them off the async workers.
    tokio::task::spawn_blocking(move || run_blocking(cmd)).await.context("模型任务异常退出")?
}

fn run_blocking(cmd: ModelCmd) -> anyhow::Result<()> {
    match cmd {
        ModelCmd::Train { data, out } => {
            let (examples, input) = redress_text::read_csv(&data)?;
            println!("训练数据：{}（{}），{} 条", data.display(), layout(input), examples.len());
            let started = Instant::now();
            let model = Model::train(&examples, input, &TrainOptions::default())?;
            let seconds = started.elapsed().as_secs_f64();
            model.save(&out)?;
            let info = model.info();
            println!("各类样本数：");
            let width = info.labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
            for (label, count) in info.labels.iter().zip(&info.class_counts) {
                let pad = "　".repeat(width - label.chars().count());
                println!("  {label}{pad}  {count:>6}");
            }
            println!("特征：词 {} 个，字 n-gram {} 个", info.n_word_features, info.n_char_features);
            if let Some(acc) = info.cv_accuracy {
                println!(
                    "置信度校准：{} 折交叉验证准确率 {acc:.4}，温度 {:.3}",
                    info.options.calibration_folds, info.temperature
                );
            }
            let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
            println!("训练用时：{seconds:.2} s");
            println!("模型已保存：{}（{:.1} MB）", out.display(), size as f64 / 1e6);
            Ok(())
        }
        ModelCmd::Eval { model, data } => {
            let model = Model::load(&model)?;
            let (examples, input) = redress_text::read_csv(&data)?;
            println!("评估数据：{}（{}），{} 条", data.display(), layout(input), examples.len());
            let report = redress_text::eval(&model, &examples, input);
            println!("{report}");
            Ok(())
        }
    }
}
