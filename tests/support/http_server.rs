//! A local HTTP server standing in for the deployed services: the gate's HTTP check reaches it
//! instead of the ALB. A test chooses the status it answers and reads which paths were asked.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

/// The stand-in service.
#[derive(Clone)]
pub struct StandIn {
    pub base_url: String,
    status: Arc<AtomicU16>,
    /// Statuses answered before `status`, one per request.
    next: Arc<Mutex<Vec<u16>>>,
    paths: Arc<Mutex<Vec<String>>>,
}

impl StandIn {
    /// Starts answering `200` on a free port, for as long as the test process lives.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the stand-in service");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let status = Arc::new(AtomicU16::new(200));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let next = Arc::new(Mutex::new(Vec::new()));
        let (answer, seen, queued) = (status.clone(), paths.clone(), next.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_string();
                seen.lock().unwrap().push(path);
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|read| read > 2) {
                    line.clear();
                }
                let queued = {
                    let mut queued = queued.lock().unwrap();
                    (!queued.is_empty()).then(|| queued.remove(0))
                };
                let status = queued.unwrap_or_else(|| answer.load(Ordering::SeqCst));
                let _ = write!(&stream, "HTTP/1.1 {status} Stand-in\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        });
        StandIn { base_url, status, next, paths }
    }

    /// Every later request answers `status`.
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// The next `count` requests answer `status`, then the usual status again.
    pub fn answer_next(&self, count: usize, status: u16) {
        self.next.lock().unwrap().extend(std::iter::repeat_n(status, count));
    }

    /// The paths asked so far.
    pub fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}
