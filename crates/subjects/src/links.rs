//! The link graph of the store: resolved subjects as nodes, and the records that connect them as
//! typed, dated, record-backed edges.
//!
//! A reference (an Interception's `person`, a Payment's `payerAccount`) names a record of the
//! same originator; it becomes that record's subject, or the record itself (`ORIGINATOR/ID`)
//! when it has not been resolved. Phone numbers written on records (a person's `phone`, a call's
//! `callerNumber`) become the phone subject of that number, or a `tel:` node.
//!
//! | records | edge |
//! |---|---|
//! | Person.phone, Phone.holder | uses (person – phone) |
//! | Vehicle.owner, Vessel.owner, BankAccount.holder, Ownership | owns |
//! | Interception: everyone in one stop (same agency reference), driver included; driver – vehicle | intercepted together; uses |
//! | Crossing: everyone on one crossing (same agency reference) | travelled with |
//! | Communication: caller – receiver (by entity, else by number; a number's persons when at most [`PHONE_USERS_ATTRIBUTED_MAX`] are recorded using it) | called (GSM, voice) or messaged |
//! | Payment: payer – beneficiary (by entity, else by account) | paid, with the amount |
//! | the store's ledger: a payment between two accounts that `BankAccount` records name | paid, with the amount |
//! | Associate, UnknownLink | associate |
//!
//! Every edge keeps the records behind it (`ORIGINATOR/ID`), so a viewer's analytics can count
//! only the records that viewer may see (`corridor_graph::View`).

use std::collections::{BTreeMap, HashMap};

use corridor_graph::{Day, EdgeInput, EdgeType, Graph, GraphBuilder, Interval, NodeId, NodeKind};
use corridor_store::{RecordKey, Store};

use crate::Error;

/// People in one stop or crossing whose every pair becomes an edge. A larger group (a mass
/// interception of a lorry) links each member to the first few only: its cliques would
/// otherwise dominate every analytic.
pub const GROUP_PAIRS_MEMBERS_MAX: usize = 64;

/// Persons a phone may be attributed to. A call on a phone used by more people than this
/// (a smuggler's number handed to a whole group, a shared handset) stays on the phone node:
/// attributing it would invent contacts between strangers.
pub const PHONE_USERS_ATTRIBUTED_MAX: usize = 3;

/// What building the graph saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Live records read.
    pub records: u64,
    /// Records that asserted at least one edge.
    pub linking_records: u64,
    /// References to a record that has no subject (not resolved, or not in the store).
    pub unresolved_references: u64,
    /// Groups larger than [`GROUP_PAIRS_MEMBERS_MAX`].
    pub groups_capped: u64,
    /// Call and message ends moved from a phone to the persons recorded using it.
    pub call_ends_attributed: u64,
    /// Ledger payments between two account subjects, linked as `paid` edges.
    pub ledger_payments_linked: u64,
    /// Ledger payments with an end no `BankAccount` record names, left out.
    pub ledger_payments_unlinked: u64,
}

fn node_kind(kind: &str) -> NodeKind {
    match kind {
        "person" => NodeKind::Person,
        "phone" => NodeKind::Phone,
        "vehicle" => NodeKind::Vehicle,
        "vessel" => NodeKind::Vessel,
        "account" => NodeKind::Account,
        "organisation" => NodeKind::Organization,
        _ => NodeKind::Unknown,
    }
}

fn interval(props: &BTreeMap<String, Vec<String>>) -> Interval {
    let day = |k: &str| {
        props
            .get(k)
            .and_then(|v| v.first())
            .and_then(|d| Day::parse(d))
    };
    match (day("date"), day("startDate"), day("endDate")) {
        (Some(d), _, _) => Interval { from: d, to: d },
        (None, from, to) => Interval {
            from: from.unwrap_or(Day::MIN),
            to: to.or(from).unwrap_or(Day::MAX),
        },
    }
}

struct Linker {
    builder: GraphBuilder,
    /// Record → (subject id, kind).
    subjects: HashMap<RecordKey, (String, NodeKind)>,
    /// E.164 number → phone subject id.
    phones: HashMap<String, String>,
    /// Phone node → the persons recorded using it (in order first seen, no repeats).
    users: HashMap<NodeId, Vec<NodeId>>,
    /// Calls and messages, linked once every phone's users are known.
    calls: Vec<PendingCall>,
    stats: LinkStats,
}

/// A call or message between two nodes (persons or phones), asserted by one record.
struct PendingCall {
    a: NodeId,
    b: NodeId,
    kind: EdgeType,
    interval: Interval,
    record: String,
}

impl Linker {
    /// The node a reference from `originator`'s record names.
    fn reference(&mut self, originator: &str, id: &str, kind: NodeKind) -> Result<NodeId, Error> {
        let key = RecordKey::new(originator, id);
        match self.subjects.get(&key) {
            Some((subject, k)) => {
                let k = *k;
                let subject = subject.clone();
                Ok(self.builder.node(&subject, k)?)
            }
            None => {
                self.stats.unresolved_references += 1;
                Ok(self.builder.node(&key.to_string(), kind)?)
            }
        }
    }

    fn number(&mut self, e164: &str) -> Result<NodeId, Error> {
        match self.phones.get(e164) {
            Some(subject) => {
                let subject = subject.clone();
                Ok(self.builder.node(&subject, NodeKind::Phone)?)
            }
            None => Ok(self.builder.node(&format!("tel:{e164}"), NodeKind::Phone)?),
        }
    }

    /// Notes that `person` uses the phone node `phone` (and links them).
    fn uses(
        &mut self,
        person: NodeId,
        phone: NodeId,
        interval: Interval,
        records: &[(&str, f64)],
    ) -> Result<(), Error> {
        let users = self.users.entry(phone).or_default();
        if !users.contains(&person) {
            users.push(person);
        }
        self.edge(person, phone, EdgeType::Uses, interval, records)
    }

    /// The nodes a call end stands for: the persons using the phone, when there are a few,
    /// else the node itself.
    fn call_ends(&self, node: NodeId) -> Vec<NodeId> {
        match self.users.get(&node) {
            Some(u) if !u.is_empty() && u.len() <= PHONE_USERS_ATTRIBUTED_MAX => u.clone(),
            _ => vec![node],
        }
    }

    fn edge(
        &mut self,
        a: NodeId,
        b: NodeId,
        kind: EdgeType,
        interval: Interval,
        records: &[(&str, f64)],
    ) -> Result<(), Error> {
        self.builder.add_edge(&EdgeInput {
            source: a,
            target: b,
            kind,
            weight: 1,
            interval,
            records,
            amount: 0.0,
        })?;
        Ok(())
    }
}

/// One person (or driver) in a stop or crossing.
struct GroupMember {
    node: NodeId,
    record: String,
    interval: Interval,
}

/// Builds the link graph of everything live in the store, over the stored subjects.
pub fn link_graph(store: &mut dyn Store) -> Result<(Graph, LinkStats), Error> {
    let mut linker = Linker {
        builder: GraphBuilder::new(),
        subjects: HashMap::new(),
        phones: HashMap::new(),
        users: HashMap::new(),
        calls: Vec::new(),
        stats: LinkStats::default(),
    };
    for kind in crate::builtin_kinds() {
        let node = node_kind(&kind.name);
        corridor_store::for_each_member(store, &kind.name, |m| -> Result<(), Error> {
            linker.subjects.insert(m.record, (m.subject_id, node));
            Ok(())
        })?;
    }
    // Groups: (schema, originator, agency reference) → members, in record order.
    let mut groups: BTreeMap<(String, String, String), Vec<GroupMember>> = BTreeMap::new();
    let mut pending: Vec<(String, corridor_model::Record)> = Vec::new();
    corridor_store::for_each_live(store, |v| -> Result<(), Error> {
        linker.stats.records += 1;
        // Every number's phone subject must be known before numbers written on other
        // records are linked, so phones are mapped during the scan and the rest linked after.
        if v.record.schema == "Phone" {
            let key = RecordKey::new(&v.envelope.originator, &v.record.id);
            if let (Some(number), Some((subject, _))) = (
                v.record.properties.get("number").and_then(|n| n.first()),
                linker.subjects.get(&key),
            ) {
                linker
                    .phones
                    .entry(number.clone())
                    .or_insert(subject.clone());
            }
        }
        if LINKING_SCHEMATA.contains(&v.record.schema.as_str()) {
            pending.push((v.envelope.originator, v.record));
        }
        Ok(())
    })?;
    for (originator, record) in &pending {
        let linked = link_record(&mut linker, &mut groups, originator, record)?;
        if linked {
            linker.stats.linking_records += 1;
        }
    }
    // Calls and messages go between the people using the phones where that is known: an
    // analyst reads "A called B", and the network analytics need person-to-person contact.
    let calls = std::mem::take(&mut linker.calls);
    for call in &calls {
        let (ends_a, ends_b) = (linker.call_ends(call.a), linker.call_ends(call.b));
        if ends_a != [call.a] {
            linker.stats.call_ends_attributed += 1;
        }
        if ends_b != [call.b] {
            linker.stats.call_ends_attributed += 1;
        }
        for &a in &ends_a {
            for &b in &ends_b {
                linker.edge(
                    a,
                    b,
                    call.kind,
                    call.interval,
                    &[(call.record.as_str(), 0.0)],
                )?;
            }
        }
    }
    for ((schema, _, _), members) in &groups {
        let kind = if schema == "Crossing" {
            EdgeType::TravelledWith
        } else {
            EdgeType::InterceptedTogether
        };
        if members.len() > GROUP_PAIRS_MEMBERS_MAX {
            linker.stats.groups_capped += 1;
        }
        for (i, a) in members.iter().enumerate() {
            for b in members[i + 1..].iter() {
                if i >= GROUP_PAIRS_MEMBERS_MAX {
                    break;
                }
                let records = [(a.record.as_str(), 0.0), (b.record.as_str(), 0.0)];
                linker.edge(a.node, b.node, kind, a.interval.hull(b.interval), &records)?;
            }
        }
    }
    link_ledger(&mut linker, store)?;
    Ok((linker.builder.build()?, linker.stats))
}

/// The store's ledger as `paid` edges between account subjects: a payment whose both ends are
/// accounts some agency recorded (so they resolve to subjects) links them, with its amount in
/// major units, its day and `ORIGINATOR/TX_ID` as the record behind it. Payments with an end no
/// record names are counted and left out: the ledger holds every customer of every bank, and
/// the graph is of the subjects agencies know.
fn link_ledger(linker: &mut Linker, store: &mut dyn Store) -> Result<(), Error> {
    if store.ledger_len()? == 0 {
        return Ok(());
    }
    let accounts = crate::accounts::account_index(store)?;
    corridor_store::for_each_ledger(store, |row| -> Result<(), Error> {
        let (Some(a), Some(b)) = (
            accounts.get(&row.from_account),
            accounts.get(&row.to_account),
        ) else {
            linker.stats.ledger_payments_unlinked += 1;
            return Ok(());
        };
        let a = linker.builder.node(&a.subject, NodeKind::Account)?;
        let b = linker.builder.node(&b.subject, NodeKind::Account)?;
        let day = Day(i32::try_from(row.ts_seconds.div_euclid(86_400)).unwrap_or(i32::MAX));
        let record = format!("{}/{}", row.originator, row.tx_id);
        let amount = row.amount_minor as f64 / 100.0;
        linker.edge(
            a,
            b,
            EdgeType::Paid,
            Interval { from: day, to: day },
            &[(record.as_str(), amount)],
        )?;
        linker.stats.ledger_payments_linked += 1;
        Ok(())
    })
}

/// The schemata whose records assert edges.
const LINKING_SCHEMATA: &[&str] = &[
    "Person",
    "Phone",
    "Vehicle",
    "Vessel",
    "BankAccount",
    "Interception",
    "Crossing",
    "Communication",
    "Payment",
    "Ownership",
    "Associate",
    "UnknownLink",
];

/// Adds the edges one record asserts; true when it asserted any (group members count).
fn link_record(
    linker: &mut Linker,
    groups: &mut BTreeMap<(String, String, String), Vec<GroupMember>>,
    originator: &str,
    record: &corridor_model::Record,
) -> Result<bool, Error> {
    let props = &record.properties;
    let name = format!("{originator}/{}", record.id);
    let when = interval(props);
    let values = |k: &str| props.get(k).map(Vec::as_slice).unwrap_or(&[]);
    let first = |k: &str| props.get(k).and_then(|v| v.first());
    let this = |linker: &mut Linker, kind: NodeKind| linker.reference(originator, &record.id, kind);
    let one = [(name.as_str(), 0.0)];
    let mut linked = false;
    match record.schema.as_str() {
        "Person" => {
            for number in values("phone") {
                let p = this(linker, NodeKind::Person)?;
                let t = linker.number(number)?;
                linker.uses(p, t, when, &one)?;
                linked = true;
            }
        }
        "Phone" => {
            if let (Some(holder), Some(number)) = (first("holder"), first("number")) {
                let h = linker.reference(originator, holder, NodeKind::Unknown)?;
                let t = linker.number(number)?;
                linker.uses(h, t, when, &one)?;
                linked = true;
            }
        }
        "Vehicle" | "Vessel" | "BankAccount" => {
            let (prop, kind) = match record.schema.as_str() {
                "Vehicle" => ("owner", NodeKind::Vehicle),
                "Vessel" => ("owner", NodeKind::Vessel),
                _ => ("holder", NodeKind::Account),
            };
            for owner in values(prop) {
                let o = linker.reference(originator, owner, NodeKind::Unknown)?;
                let a = this(linker, kind)?;
                linker.edge(o, a, EdgeType::Owns, when, &one)?;
                linked = true;
            }
        }
        "Interception" | "Crossing" => {
            let reference = first("recordId")
                .cloned()
                .unwrap_or_else(|| record.id.clone());
            let group = groups
                .entry((record.schema.clone(), originator.to_string(), reference))
                .or_default();
            for p in values("person").iter().chain(values("driver")) {
                let node = linker.reference(originator, p, NodeKind::Person)?;
                group.push(GroupMember {
                    node,
                    record: name.clone(),
                    interval: when,
                });
                linked = true;
            }
            if let Some(vehicle) = first("vehicle") {
                for d in values("driver") {
                    let d = linker.reference(originator, d, NodeKind::Person)?;
                    let v = linker.reference(originator, vehicle, NodeKind::Vehicle)?;
                    linker.edge(d, v, EdgeType::Uses, when, &one)?;
                }
            }
        }
        "Communication" => {
            let side = |linker: &mut Linker,
                        entity: &str,
                        number: &str|
             -> Result<Option<NodeId>, Error> {
                if let Some(e) = first(entity) {
                    return linker.reference(originator, e, NodeKind::Unknown).map(Some);
                }
                first(number).map(|n| linker.number(n)).transpose()
            };
            let a = side(linker, "caller", "callerNumber")?;
            let b = side(linker, "receiver", "receiverNumber")?;
            if let (Some(a), Some(b)) = (a, b) {
                let channel = first("channel")
                    .map(|c| c.to_lowercase())
                    .unwrap_or_default();
                let kind = if matches!(channel.as_str(), "" | "gsm" | "voice" | "call" | "landline")
                {
                    EdgeType::Called
                } else {
                    EdgeType::Messaged
                };
                linker.calls.push(PendingCall {
                    a,
                    b,
                    kind,
                    interval: when,
                    record: name.clone(),
                });
                linked = true;
            }
        }
        "Payment" => {
            let side = |linker: &mut Linker,
                        entity: &str,
                        account: &str|
             -> Result<Option<NodeId>, Error> {
                match (first(entity), first(account)) {
                    (Some(e), _) => linker.reference(originator, e, NodeKind::Unknown).map(Some),
                    (None, Some(a)) => linker.reference(originator, a, NodeKind::Account).map(Some),
                    (None, None) => Ok(None),
                }
            };
            let a = side(linker, "payer", "payerAccount")?;
            let b = side(linker, "beneficiary", "beneficiaryAccount")?;
            if let (Some(a), Some(b)) = (a, b) {
                let amount = first("amount")
                    .and_then(|a| a.parse::<f64>().ok())
                    .filter(|a| a.is_finite() && *a >= 0.0)
                    .unwrap_or(0.0);
                linker.edge(a, b, EdgeType::Paid, when, &[(name.as_str(), amount)])?;
                linked = true;
            }
        }
        "Ownership" | "Associate" | "UnknownLink" => {
            let (from, to, kind) = match record.schema.as_str() {
                "Ownership" => ("owner", "asset", EdgeType::Owns),
                "Associate" => ("person", "associate", EdgeType::Associate),
                _ => ("subject", "object", EdgeType::Associate),
            };
            if let (Some(a), Some(b)) = (first(from), first(to)) {
                let a = linker.reference(originator, a, NodeKind::Unknown)?;
                let b = linker.reference(originator, b, NodeKind::Unknown)?;
                linker.edge(a, b, kind, when, &one)?;
                linked = true;
            }
        }
        _ => {}
    }
    Ok(linked)
}
