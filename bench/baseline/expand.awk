# Expands a *_per_event.sql.in template: the lines between `-- @each` and `-- @end` are
# written B times with @K@ replaced by 1..B (usage: awk -v B=100 -f expand.awk TEMPLATE).
/^-- @each/ { inside = 1; n = 0; next }
/^-- @end/ {
  for (k = 1; k <= B; ++k)
    for (i = 1; i <= n; ++i) {
      line = block[i]
      gsub(/@K@/, k, line)
      print line
    }
  inside = 0
  next
}
inside { block[++n] = $0; next }
{ print }
