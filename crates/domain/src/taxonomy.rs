//! The editable two-level category tree (一级/二级分类).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Stable code, e.g. "03.02".
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub children: Vec<Category>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taxonomy {
    pub categories: Vec<Category>,
}

impl Default for Taxonomy {
    fn default() -> Self {
        serde_json::from_str(include_str!("../data/taxonomy.json")).expect("shipped taxonomy parses")
    }
}

impl Taxonomy {
    /// Looks a category up by code or by name ("一级/二级" or either level alone).
    pub fn find(&self, key: &str) -> Option<(&Category, Option<&Category>)> {
        let key = key.trim();
        for top in &self.categories {
            if top.code == key || top.name == key {
                return Some((top, None));
            }
            for c in &top.children {
                if c.code == key || c.name == key || format!("{}/{}", top.name, c.name) == key {
                    return Some((top, Some(c)));
                }
            }
        }
        None
    }

    /// Full label "一级/二级" of a code.
    pub fn label(&self, code: &str) -> Option<String> {
        self.find(code).map(|(t, c)| match c {
            Some(c) => format!("{}/{}", t.name, c.name),
            None => t.name.clone(),
        })
    }

    /// Codes must be unique and children must extend their parent's code.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for top in &self.categories {
            if top.name.trim().is_empty() || !seen.insert(top.code.clone()) {
                return Err(format!("分类编码“{}”重复或名称为空", top.code));
            }
            for c in &top.children {
                if c.name.trim().is_empty() || !seen.insert(c.code.clone()) {
                    return Err(format!("分类编码“{}”重复或名称为空", c.code));
                }
                if !c.code.starts_with(&format!("{}.", top.code)) {
                    return Err(format!("二级分类“{}”的编码应以“{}.”开头", c.name, top.code));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_taxonomy_is_valid_and_two_levels_deep() {
        let t = Taxonomy::default();
        t.validate().unwrap();
        assert!(t.categories.len() >= 10);
        assert!(t.categories.iter().all(|c| !c.children.is_empty()));
    }

    #[test]
    fn category_found_by_code_or_name() {
        let t = Taxonomy::default();
        let (top, sub) = t.find("城乡建设/物业管理").unwrap();
        assert_eq!(top.name, "城乡建设");
        let code = sub.unwrap().code.clone();
        assert_eq!(t.label(&code).unwrap(), "城乡建设/物业管理");
    }
}
