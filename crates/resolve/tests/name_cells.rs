//! Names written in other cells than the next record's: a whole name in one cell against given
//! and family names in two, a whole name in the given-name cell, and a lone name in the family
//! cell that is the other record's given name.

use corridor_resolve::block::{BlockingRule, rule_keys};
use corridor_resolve::compare::{Comparator, Prepared};
use corridor_resolve::table::{Field, Role, Table};
use corridor_resolve::{Engine, Settings, split_given_name};

fn field(role: Role, values: &[&str]) -> Field {
    Field {
        role,
        occurrence: 0,
        name: role.as_str().to_string(),
        values: values
            .iter()
            .map(|v| (!v.is_empty()).then(|| (*v).into()))
            .collect(),
    }
}

/// Records 0 and 1 write a whole name in one cell; 2, 3 and 4 write given and family names.
fn whole_names() -> Prepared {
    let full = field(Role::FullName, &["Louay A.", "Ahmad Karimi", "", "", ""]);
    let given = field(Role::GivenName, &["", "", "Louay", "Ahmad", "Ahmad"]);
    let family = field(Role::FamilyName, &["", "", "Al-Ali", "Karimi", "Karimi"]);
    let mut p = Prepared::new(&full, Comparator::FullName);
    p.derive_full_names(&given, &family);
    p
}

#[test]
fn a_whole_name_meets_given_and_family_names_in_two_cells() {
    let p = whole_names();
    assert!(!p.is_derived(p.value[0]) && !p.is_derived(p.value[1]));
    assert!(p.is_derived(p.value[2]) && p.is_derived(p.value[3]));
    // The same name written in one cell and in two agrees exactly.
    assert_eq!(p.level(1, 3), 1);
    // An abbreviated family name still agrees, less than exactly.
    let partial = p.level(0, 2);
    assert!((2..=4).contains(&partial), "level {partial}");
    // A different name disagrees.
    assert_eq!(p.level(0, 3), 5);
}

#[test]
fn two_names_made_of_parts_are_not_compared_twice() {
    let p = whole_names();
    // Records 3 and 4 have the same given and family names, which their own comparisons
    // weigh: the whole names made of them compare as missing.
    assert_eq!(p.level(3, 4), 0);
    assert_eq!(p.level(2, 3), 0);
}

#[test]
fn names_made_of_parts_make_no_blocking_key() {
    let p = whole_names();
    let rule = BlockingRule::parse("full_name").expect("rule");
    let keys = rule_keys(&rule, &[(&p, Role::FullName, 0)], None, p.value.len());
    assert!(keys[0] != 0 && keys[1] != 0);
    assert_eq!(&keys[2..], &[0, 0, 0]);
}

#[test]
fn a_whole_name_in_the_given_name_cell_is_split() {
    let (given, family) =
        split_given_name(Some("Mohammad Nazari"), None).expect("a whole name is split");
    // The parts as names compare them (romanisation variants folded).
    let key = corridor_text::names::name_key;
    assert_eq!((given, family), (key("Mohammad"), key("Nazari")));
    // A placeholder family name is no family name.
    assert!(split_given_name(Some("Rawand Mohammed"), Some("LNU")).is_some());
    // A family name present, one part, or a compound that is one name: as written.
    assert_eq!(split_given_name(Some("Mohammad Ali"), Some("Karimi")), None);
    assert_eq!(split_given_name(Some("Yahya"), None), None);
    assert_eq!(split_given_name(Some("Abdul Rahman"), None), None);
    assert_eq!(split_given_name(None, None), None);
}

#[test]
fn a_lone_name_in_the_family_cell_is_not_held_against_the_given_name() {
    let table = Table {
        ids: ["a", "b", "c"].iter().map(|s| s.to_string()).collect(),
        sources: vec![0; 3],
        fields: vec![
            field(Role::GivenName, &["FNU", "Ghassan", "Omar"]),
            field(Role::FamilyName, &["Ghassan", "Jamal", "Jamal"]),
            field(
                Role::Phone,
                &["+963935271400", "+963935271400", "+963935271400"],
            ),
        ],
    };
    let engine = Engine::new(table, Settings::default()).expect("engine");
    let model = engine.default_model();
    let record = |id: &str| engine.record(0, id).expect("record");
    let family = |l: &str, r: &str| {
        let e = engine
            .explain(&model, record(l), record(r))
            .expect("explain");
        let f = e.fields.into_iter().find(|f| f.name == "family_name");
        f.expect("family_name")
    };
    // `FNU Ghassan` and `Ghassan Jamal`: the lone name is the other's given name.
    let aside = family("a", "b");
    assert!(aside.level.contains("set aside"), "{}", aside.level);
    assert_eq!(aside.weight, 0.0);
    // `FNU Ghassan` and `Omar Jamal`: a different person's family name counts against.
    let counted = family("a", "c");
    assert_eq!(counted.level, "different");
    assert!(counted.weight < 0.0);
}
