//! Group commit: concurrent writes share one transaction and one fsync.
//!
//! Requests queue their [`WriteOp`] and wait. A worker takes whatever has queued up (up to
//! `max_batch`), commits it as one transaction, and only then answers each request. While a
//! batch is on its way to disk the next one gathers, so under load each fsync carries many
//! writes, and with a single client the latency is that of one transaction.

use crate::error::StoreError;
use crate::traits::CaseWriter;
use crate::write::{WriteOp, WriteReceipt};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

type Reply = oneshot::Sender<Result<WriteReceipt, StoreError>>;

#[derive(Debug, Clone, Copy)]
pub struct GroupCommitConfig {
    /// Batches committed concurrently (1 for SQLite, which has one writer).
    pub workers: usize,
    /// The most ops in one transaction.
    pub max_batch: usize,
    /// Ops that may wait in the queue before submitters wait for room.
    pub queue: usize,
}

impl Default for GroupCommitConfig {
    fn default() -> Self {
        Self {
            workers: 1,
            max_batch: 1000,
            queue: 8192,
        }
    }
}

pub struct GroupCommit {
    /// One queue per worker; a county's writes always go to the same worker, so parallel
    /// workers never wait on each other's county counters and locks.
    senders: Vec<mpsc::Sender<(WriteOp, Reply)>>,
    workers: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("workers", &self.workers.len())
            .finish()
    }
}

impl GroupCommit {
    /// Starts the workers on the current tokio runtime.
    pub fn start(writer: Arc<dyn CaseWriter>, config: GroupCommitConfig) -> Self {
        let workers = config.workers.max(1);
        let (senders, workers) = (0..workers)
            .map(|_| {
                let (sender, receiver) = mpsc::channel(config.queue.max(1));
                let worker = tokio::spawn(run_worker(
                    Arc::clone(&writer),
                    receiver,
                    config.max_batch.max(1),
                ));
                (sender, worker)
            })
            .unzip();
        Self { senders, workers }
    }

    /// Queues one op and waits until the batch that carries it is durable.
    pub async fn submit(&self, op: WriteOp) -> Result<WriteReceipt, StoreError> {
        let (reply, answer) = oneshot::channel();
        let county: usize = op.county().as_str().parse().unwrap_or(0);
        let sender = &self.senders[county % self.senders.len()];
        sender
            .send((op, reply))
            .await
            .map_err(|_| StoreError::ShuttingDown)?;
        answer.await.map_err(|_| StoreError::ShuttingDown)?
    }

    /// Stops taking ops, commits everything queued, and waits for the workers.
    pub async fn close(self) {
        drop(self.senders);
        for worker in self.workers {
            if let Err(error) = worker.await {
                tracing::error!(%error, "group commit worker failed");
            }
        }
    }
}

async fn run_worker(
    writer: Arc<dyn CaseWriter>,
    mut receiver: mpsc::Receiver<(WriteOp, Reply)>,
    max_batch: usize,
) {
    loop {
        let Some(first) = receiver.recv().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (ops, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let size = ops.len();
        match writer.write_batch(ops).await {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    // A submitter that went away (client disconnected) still had its write
                    // committed; nothing to undo.
                    let _ = reply.send(result);
                }
            }
            Err(error) => {
                tracing::error!(%error, size, "batch transaction failed");
                let message = error.to_string();
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Database(message.clone())));
                }
            }
        }
    }
}
