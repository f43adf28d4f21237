-- Helpers shared by burstream's scripts (infra/scripts.py puts this before each of them).

-- The value of field `name` in a stream entry's flat field list, or false.
local function field(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then
      return fields[i + 1]
    end
  end
  return false
end
