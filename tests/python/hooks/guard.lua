-- on_enqueue of pyt.guarded: amounts above 100 are refused.
return {
  on_enqueue = function(task)
    if task.args.amount > 100 then
      return false, "amount above 100"
    end
    return true
  end,
}
